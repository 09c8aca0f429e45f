import * as policySdk from "@pulumi/policy";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, type SynthResource } from "../../scripts/lib/synthesize";

/**
 * What a policy concluded about one resource. `unknown`: it read a value that is not known yet, so
 * during a preview the policy server reports "can't run policy ... during preview" and checks nothing.
 */
export type Verdict =
  | { applicable: false; reason: string }
  | { applicable: true; violations: string[] }
  | { applicable: "unknown"; reason: string };

// What the policy server wraps props in (exported by @pulumi/policy, but marked internal, so untyped).
const { unknownCheckingProxy, UnknownValueError } = policySdk as unknown as {
  unknownCheckingProxy<T extends object>(props: T): T;
  UnknownValueError: new (...args: never[]) => Error;
};

// The wire form of an unknown string; the policy server's deserializer keeps it, and its proxy throws on it.
const unknownOnTheWire = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function withUnknowns(value: unknown): unknown {
  if (value === UNKNOWN) return unknownOnTheWire;
  if (Array.isArray(value)) return value.map(withUnknowns);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withUnknowns(inner)]));
  return value;
}

export interface FakeResource {
  readonly type: string;
  readonly name?: string;
  /** The URN, whose type chain names the parent components. @default built from stack, type and name */
  readonly urn?: string;
  readonly inputs: Record<string, unknown>;
  readonly protect?: boolean;
  /** URN of the parent resource, as the engine passes it in opts.parent. */
  readonly parent?: string | null;
  /** @default "dev" */
  readonly stack?: string;
  /**
   * Hand the props over as the policy server does in a preview: values synthesized as "[unknown]"
   * become unknowns, and reading one throws UnknownValueError. @default false
   */
  readonly preview?: boolean;
}

class NotApplicable extends Error {}

/** The args the policy server would build for a resource (policy/server.js), without the server. */
function fakeArgs(resource: FakeResource): ResourceValidationArgs {
  const name = resource.name ?? "test-resource";
  return {
    type: resource.type,
    props: resource.preview ? unknownCheckingProxy(withUnknowns(resource.inputs) as Record<string, unknown>) : resource.inputs,
    urn: resource.urn ?? `urn:pulumi:${resource.stack ?? "dev"}::llm-platform::${resource.type}::${name}`,
    name,
    opts: {
      protect: resource.protect ?? false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      ...(resource.parent ? { parent: resource.parent } : {}),
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason ?? "");
    },
  };
}

type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** Runs `check`, turning the policy server's not-applicable and unknown-value signals into a verdict. */
async function verdictOf(check: (report: (message: string) => void) => Promise<void>): Promise<Verdict> {
  const violations: string[] = [];
  try {
    await check((message) => violations.push(message));
  } catch (error) {
    if (error instanceof NotApplicable) return { applicable: false, reason: error.message };
    if (error instanceof UnknownValueError) return { applicable: "unknown", reason: error.message };
    throw error;
  }
  return { applicable: true, violations };
}

/** A resource policy on one resource; a stack policy on a stack of just this resource. */
export async function runPolicy(policy: Policy, resource: FakeResource): Promise<Verdict> {
  if ("validateStack" in policy) return runStackPolicy(policy, [resource]);
  const validations = [policy.validateResource ?? []].flat();
  return verdictOf(async (report) => {
    for (const validate of validations) await validate(fakeArgs(resource), report);
  });
}

/** A stack policy on the resources as the policy server hands them over (no parents or dependencies resolved). */
export async function runStackPolicy(policy: StackValidationPolicy, resources: FakeResource[]): Promise<Verdict> {
  const policyResources: PolicyResource[] = resources.map((resource) => {
    const { type, props, urn, name, opts } = fakeArgs(resource);
    return { type, props, urn, name, opts, dependencies: [], propertyDependencies: {}, isType: () => false, asType: () => undefined };
  });
  return verdictOf(async (report) => {
    await policy.validateStack(
      { resources: policyResources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T, notApplicable: (reason?: string): never => {
        throw new NotApplicable(reason ?? "");
      } },
      (message, urn) => report(urn ? `${urn}: ${message}` : message),
    );
  });
}

/**
 * Every verdict of a policy on a stack's resources: one per resource for a resource policy, one for
 * the whole stack for a stack policy; `where` names the resource (or the stack).
 */
export async function verdictsOnStack(policy: Policy, resources: FakeResource[]): Promise<{ where: string; verdict: Verdict }[]> {
  if ("validateStack" in policy) return [{ where: "stack", verdict: await runStackPolicy(policy, resources) }];
  return Promise.all(resources.map(async (resource) => ({ where: resource.urn ?? resource.type, verdict: await runPolicy(policy, resource) })));
}

/** A synthesized resource as the pack would see it: type, inputs, protect and parent. */
export const fromSynth = (stack: string, resource: SynthResource, preview = false): FakeResource => ({
  type: resource.type,
  name: resource.name,
  urn: resource.urn,
  inputs: resource.inputs,
  protect: resource.protect,
  parent: resource.parent,
  stack,
  preview,
});
