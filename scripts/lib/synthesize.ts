import * as pulumi from "@pulumi/pulumi";
import { validateConfig } from "../../stacks/config/validate";
import { secretKeys } from "../../stacks/config/schema";
import { createMocks } from "./mocks";
import { projectName, secretPlaceholder, type StackConfig } from "./stack-file";

export const REDACTED = "[secret]";
/** What a value the engine does not know yet (preview of a new stack) is recorded as. */
export const UNKNOWN = "[unknown]";

export interface SynthResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string | null;
  provider: string | null;
  dependsOn: string[];
  protect: boolean;
  inputs: Record<string, unknown>;
}

/** An existing object the program reads (`Resource.get`): nothing is created, the engine reads it. */
export interface SynthRead {
  urn: string;
  type: string;
  name: string;
  /** The id read, e.g. `<namespace>/<name>` for a Kubernetes object. */
  id: string;
  parent: string | null;
  provider: string | null;
  dependsOn: string[];
}

export interface SynthResult {
  ok: true;
  stack: string;
  resources: SynthResource[];
  reads: SynthRead[];
  outputs: Record<string, unknown>;
  /** Secret keys the stack file did not set, synthesized with placeholders. */
  placeholderSecrets: string[];
}

export interface SynthFailure {
  ok: false;
  stack: string;
  errors: string[];
}

// Pulumi's wire markers for secrets and resource references (stable parts of its RPC protocol).
const sigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const resourceSig = "5cf8f73096256a8f31e491e813e4eb8e";

/**
 * Replaces every secret with "[secret]" and resource references with their URNs. With `secrets:
 * "placeholders"` a secret keeps the value inside it instead, which under synth is never a real
 * secret: config secrets are read as placeholders (stack-file.ts) and computed ones are mock values.
 */
export function redact(value: unknown, secrets: SecretHandling = "redact"): unknown {
  if (pulumi.isUnknown(value)) return UNKNOWN;
  if (Array.isArray(value)) return value.map((inner) => redact(inner, secrets));
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[sigKey] === secretSig) {
      if (pulumi.isUnknown(record.value)) return UNKNOWN;
      return secrets === "placeholders" ? redact(record.value, secrets) : REDACTED;
    }
    if (record[sigKey] === resourceSig) return record.urn;
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, redact(inner, secrets)]));
  }
  return value;
}

async function resolveOutput(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    // An unknown output never runs its apply callbacks, so it must not be awaited through one.
    if (!(await (value as unknown as { isKnown: Promise<boolean> }).isKnown)) return UNKNOWN;
    if (await pulumi.isSecret(value)) return REDACTED;
    const plain = await new Promise<unknown>((resolve) => value.apply((inner) => resolve(inner)));
    return resolveOutput(plain);
  }
  if (Array.isArray(value)) return Promise.all(value.map(resolveOutput));
  if (value && typeof value === "object" && !pulumi.Resource.isInstance(value)) {
    const entries = await Promise.all(Object.entries(value).map(async ([key, inner]) => [key, await resolveOutput(inner)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getProtect(): boolean;
  getAdditionalsecretoutputsList(): string[];
}
type Callback = (err: unknown, response?: { getUrn(): string }) => void;
interface ReadRequest {
  getType(): string;
  getName(): string;
  getId(): string;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
}
interface MockMonitorLike {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
  readResource(req: ReadRequest, callback: Callback): Promise<void>;
}

/** `urn::id` provider references name the provider by URN (which itself contains "::"). */
const providerUrn = (reference: string) => (reference ? reference.slice(0, reference.lastIndexOf("::")) : null);

/**
 * Validates the config, then fills in placeholders for secrets that only the stack's owner can set
 * (`pulumi config set --secret`), so that a stack file without them still synthesizes.
 */
export function prepareConfig(stack: StackConfig, stackName?: string): { config: StackConfig; placeholderSecrets: string[] } | { errors: string[] } {
  const project = projectName();
  let current = stack;
  let result = validateConfig(current.config, new Set(current.secretKeys), stackName);
  const placeholderSecrets: string[] = [];
  if (!result.ok) {
    const missing = secretKeys.filter((key) =>
      result.ok ? false : result.errors.some((error) => error.startsWith(`${project}:${key}: got nothing`)),
    );
    if (missing.length > 0) {
      const config = { ...current.config };
      for (const key of missing) config[`${project}:${key}`] = secretPlaceholder(key);
      current = { config, secretKeys: [...current.secretKeys, ...missing.map((key) => `${project}:${key}`)] };
      placeholderSecrets.push(...missing);
      result = validateConfig(current.config, new Set(current.secretKeys), stackName);
    }
  }
  return result.ok ? { config: current, placeholderSecrets } : { errors: result.errors };
}

export type SecretHandling = "redact" | "placeholders";

export interface SynthOptions {
  /**
   * Run as `pulumi preview` of a brand-new stack: providers compute nothing, so ids, ARNs and the
   * cluster's endpoint (hence the kubeconfig) are unknown, and so is every output of a Kubernetes object
   * (scripts/lib/mocks.ts). @default false
   */
  readonly preview?: boolean;
  /**
   * "placeholders" records the placeholder or mock value behind each secret instead of "[secret]", so
   * that a chart renders with values of the right shape (the real checks, test/real). Never written
   * to synth output. @default "redact"
   */
  readonly secrets?: SecretHandling;
}

/**
 * Runs the real program for one stack under Pulumi's mocks and records what it would register.
 * `importProgram` loads index.ts afresh (the caller knows how its module loader caches).
 */
export async function synthesize(
  stackName: string,
  stack: StackConfig,
  importProgram: () => Promise<unknown>,
  options: SynthOptions = {},
): Promise<SynthResult | SynthFailure> {
  const prepared = prepareConfig(stack, stackName);
  if ("errors" in prepared) return { ok: false, stack: stackName, errors: prepared.errors };
  const { config, placeholderSecrets } = prepared;

  const project = projectName();
  pulumi.runtime.setAllConfig(config.config, config.secretKeys);
  const mocks = createMocks({ preview: options.preview ?? false });
  await pulumi.runtime.setMocks(mocks, project, stackName, options.preview ?? false);

  const monitor = (pulumi.runtime as unknown as { getMonitor(): MockMonitorLike }).getMonitor();
  const resources: SynthResource[] = [];
  const originalRegister = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const request = req as RegisterRequest & { getObject(): { toJavaScript(): Record<string, unknown> } };
    const record: Omit<SynthResource, "urn" | "inputs"> = {
      type: request.getType(),
      name: request.getName(),
      custom: request.getCustom(),
      parent: request.getParent() || null,
      provider: providerUrn(request.getProvider()),
      dependsOn: [...new Set(request.getDependenciesList())],
      protect: request.getProtect(),
    };
    return originalRegister(req, (err, response) => {
      if (!err && response) {
        resources.push({ urn: response.getUrn(), ...record, inputs: {} });
      }
      callback(err, response);
    });
  };
  const reads: SynthRead[] = [];
  const originalRead = monitor.readResource.bind(monitor);
  monitor.readResource = (req, callback) =>
    originalRead(req, (err, response) => {
      if (!err && response) {
        reads.push({
          urn: response.getUrn(),
          type: req.getType(),
          name: req.getName(),
          id: req.getId(),
          parent: req.getParent() || null,
          provider: providerUrn(req.getProvider()),
          dependsOn: [...new Set(req.getDependenciesList())],
        });
      }
      callback(err, response);
    });
  // Keep the inputs the mocks saw, keyed by type and name, to attach after registration.
  const seenInputs = new Map<string, Record<string, unknown>>();
  const newResource = mocks.newResource.bind(mocks);
  mocks.newResource = (args) => {
    seenInputs.set(`${args.type}::${args.name}`, args.inputs);
    return newResource(args);
  };

  // A resource whose input fails (an apply that throws, e.g. a check of what an invoke returned) is never
  // registered, and the SDK reports it only as an unhandled rejection, which fails a real run: collect
  // them, or synth would report a program with that resource, and all that depends on it, missing.
  const failedInputs = new Set<string>();
  const onRejection = (reason: unknown) =>
    // The SDK wraps the cause once per property it was nested in; the cause is the message.
    failedInputs.add((reason instanceof Error ? reason.message : String(reason)).replace(/^(error serializing property "[^"]*": )+/, ""));
  process.on("unhandledRejection", onRejection);
  let outputs: Record<string, unknown> = {};
  try {
    const program = (await importProgram()) as { default?: Record<string, unknown> };
    outputs = (await resolveOutput(program.default ?? {})) as Record<string, unknown>;
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    // Rejections are reported after the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
  } catch (error) {
    if (error instanceof pulumi.RunError) return { ok: false, stack: stackName, errors: [error.message] };
    throw error;
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failedInputs.size > 0) return { ok: false, stack: stackName, errors: [...failedInputs] };
  for (const resource of resources) {
    resource.inputs = redact(seenInputs.get(`${resource.type}::${resource.name}`) ?? {}, options.secrets) as Record<string, unknown>;
  }
  resources.sort((a, b) => a.urn.localeCompare(b.urn));
  reads.sort((a, b) => a.urn.localeCompare(b.urn));
  return { ok: true, stack: stackName, resources, reads, outputs, placeholderSecrets };
}
