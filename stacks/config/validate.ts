import type { z } from "zod";
import { platformSchema, projectName, secretKeys, type PlatformConfig } from "./schema";
import { findLeakedCredentials } from "./credentials";
import { checkDerivedNames } from "./derived-names";
import { checkEnvironmentMatchesStack, checkNamespaces } from "./stack-rules";
import { didYouMean } from "./suggest";

export { didYouMean };

export type ValidationResult = { ok: true; config: PlatformConfig } | { ok: false; errors: string[] };

type Segment = string | number;

/** Renders ["cluster", "gpuPools", 0, "maxSize"] as `llm-platform:cluster.gpuPools[0].maxSize`. */
export function keyPath(path: readonly Segment[]): string {
  return path.reduce<string>(
    (text, segment) => (typeof segment === "number" ? `${text}[${segment}]` : text ? `${text}.${segment}` : `${projectName}:${segment}`),
    "",
  );
}

type AnySchema = z.core.$ZodType;

/** Whether a union option (an object, or a nested union such as k3s's modes) accepts `value` as its discriminator. */
function acceptsDiscriminator(option: AnySchema, discriminator: string, value: unknown): boolean {
  const def = option._zod.def as unknown as { shape?: Record<string, AnySchema>; options?: AnySchema[] };
  if (def.options) return def.options.some((inner) => acceptsDiscriminator(inner, discriminator, value));
  const literal = def.shape?.[discriminator]?._zod.def as unknown as { values?: unknown[] } | undefined;
  return literal?.values?.includes(value) ?? false;
}

/** The option of a discriminated union that `data` selects. */
function unionOptionFor(def: Record<string, unknown>, data: unknown): AnySchema | undefined {
  const discriminator = def.discriminator as string | undefined;
  if (!discriminator || !data || typeof data !== "object") return undefined;
  const value = (data as Record<string, unknown>)[discriminator];
  return (def.options as AnySchema[]).find((option) => acceptsDiscriminator(option, discriminator, value));
}

/** The schema inside a wrapper (optional, default, nullable, pipe), or undefined for anything else. */
function wrapped(def: Record<string, unknown> & { type: string }): AnySchema | undefined {
  if (["optional", "default", "prefault", "nullable"].includes(def.type)) return def.innerType as AnySchema;
  return def.type === "pipe" ? (def.in as AnySchema) : undefined;
}

/** Finds the object schema that `path` points at, following the data through arrays and unions. */
function objectKeysAt(schema: AnySchema, path: readonly Segment[], data: unknown): string[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = wrapped(def);
  if (inner) return objectKeysAt(inner, path, data);
  switch (def.type) {
    case "union": {
      const match = unionOptionFor(def, data);
      return match ? objectKeysAt(match, path, data) : [];
    }
    case "array": {
      if (path.length === 0) return [];
      const [index, ...rest] = path;
      return objectKeysAt(def.element as AnySchema, rest, Array.isArray(data) ? data[index as number] : undefined);
    }
    case "object": {
      const shape = def.shape as Record<string, AnySchema>;
      if (path.length === 0) return Object.keys(shape);
      const [key, ...rest] = path;
      const child = shape[key as string];
      return child ? objectKeysAt(child, rest, (data as Record<string, unknown> | undefined)?.[key as string]) : [];
    }
    default:
      return [];
  }
}

/** Every key the schema knows, with the paths (`cluster.systemPool`, `models[]`) of the objects that have it. */
function collectKeys(schema: AnySchema, path: string, into: Map<string, string[]>, seen: Set<AnySchema>): void {
  if (seen.has(schema)) return;
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = wrapped(def);
  if (inner) return collectKeys(inner, path, into, seen);
  switch (def.type) {
    case "union":
      for (const option of def.options as AnySchema[]) collectKeys(option, path, into, seen);
      return;
    case "array":
      return collectKeys(def.element as AnySchema, `${path}[]`, into, seen);
    case "record":
      return collectKeys(def.valueType as AnySchema, `${path}.<key>`, into, seen);
    case "object":
      for (const [key, child] of Object.entries(def.shape as Record<string, AnySchema>)) {
        const where = path || `${projectName}:`;
        const list = into.get(key) ?? [];
        if (!list.includes(where)) list.push(where);
        into.set(key, list);
        collectKeys(child, path ? `${path}.${key}` : key, into, seen);
      }
      return;
    default:
      return;
  }
}

let keyIndex: Map<string, string[]> | undefined;
function keyLocations(schema: AnySchema): Map<string, string[]> {
  if (!keyIndex) {
    keyIndex = new Map();
    collectKeys(schema, "", keyIndex, new Set());
  }
  return keyIndex;
}

function valueAt(data: unknown, path: readonly Segment[]): unknown {
  return path.reduce<unknown>((value, segment) => (value && typeof value === "object" ? (value as Record<Segment, unknown>)[segment] : undefined), data);
}

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function allowedText(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      // A schema may explain a missing value better than "expected object" (zod's own messages start "Invalid").
      return issue.message.startsWith("Invalid") ? `expected ${issue.expected}` : issue.message;
    case "too_small":
      return issue.origin === "array" || issue.origin === "string"
        ? `must have at least ${issue.minimum} ${issue.origin === "array" ? "item(s)" : "character(s)"}`
        : `must be ${issue.inclusive ? ">=" : ">"} ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array" || issue.origin === "string"
        ? `must have at most ${issue.maximum} ${issue.origin === "array" ? "item(s)" : "character(s)"}`
        : `must be ${issue.inclusive ? "<=" : "<"} ${issue.maximum}`;
    case "invalid_value":
      return `allowed: ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "invalid_format":
      return `expected ${issue.message.startsWith("Invalid") ? issue.format : issue.message}`;
    case "invalid_key": {
      const inner = (issue as { issues?: { message: string }[] }).issues?.[0];
      return inner ? `the key is not ${inner.message}` : issue.message;
    }
    case "invalid_union": {
      const note = (issue as { note?: string }).note;
      return note ? note.toLowerCase() : issue.message;
    }
    default:
      return issue.message;
  }
}

/** One line per problem: the full key path, the bad value (never a secret's) and what is allowed. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], data: unknown, redacted: readonly (readonly Segment[])[] = []): string[] {
  const messages: string[] = [];
  for (const issue of issues) {
    const holdsCredential = redacted.some((path) => path.every((segment, index) => issue.path[index] === segment));
    const isSecret = holdsCredential || secretKeys.includes(issue.path[0] as (typeof secretKeys)[number]);
    if (issue.code === "unrecognized_keys") {
      const allowed = objectKeysAt(platformSchema, issue.path as Segment[], valueAt(data, []));
      for (const key of issue.keys) {
        const hint = didYouMean(key, allowed);
        const elsewhere = keyLocations(platformSchema).get(key);
        // `cluster.region: x` in the stack file is one key with a dot, not region inside cluster.
        const [head, ...rest] = key.split(".");
        const dotted = rest.length > 0 && allowed.includes(head!);
        const tail = dotted
          ? `; a key with a dot is not a path: put ${rest.join(".")} inside ${head} (pulumi config set --path '${[...(issue.path as Segment[]), key].map((segment) => (typeof segment === "number" ? `[${segment}]` : segment)).join(".").replace(/\.\[/g, "[")}' <value> writes it there).`
          : hint
          ? `; did you mean "${hint}"?`
          : elsewhere
            ? `; "${key}" is a key of ${elsewhere.join(", ")}: check the indentation.`
            : ".";
        messages.push(`${keyPath([...(issue.path as Segment[]), key])}: unknown key${tail} Allowed here: ${allowed.join(", ")}`);
      }
      continue;
    }
    const raw = valueAt(data, issue.path as Segment[]);
    // Not in the stack file, but a rule saw a value: the schema's default.
    const ruleSaw = issue.code === "custom" ? (issue.params as { value?: unknown } | undefined)?.value : undefined;
    const defaulted = raw === undefined && ruleSaw !== undefined;
    const value = isSecret && (raw !== undefined || defaulted) ? "[secret]" : defaulted ? `${show(ruleSaw)} (the default)` : show(raw);
    const { discriminator, options } = issue as { discriminator?: string; options?: unknown[] };
    if (issue.code === "invalid_union" && discriminator && options) {
      messages.push(`${keyPath(issue.path as Segment[])}: got ${value}; allowed: ${options.map((option) => JSON.stringify(option)).join(", ")}`);
      continue;
    }
    messages.push(`${keyPath(issue.path as Segment[])}: got ${value}; ${allowedText(issue)}`);
  }
  return messages;
}

/** Turns Pulumi's raw config strings (structured values arrive as JSON) into plain data. */
export function parseRawConfig(raw: Readonly<Record<string, string>>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(raw)) {
    const separator = fullKey.indexOf(":");
    if (fullKey.slice(0, separator) !== projectName) continue;
    const key = fullKey.slice(separator + 1);
    const looksStructured = /^\s*[[{]/.test(text);
    try {
      data[key] = looksStructured ? JSON.parse(text) : text;
    } catch {
      data[key] = text;
    }
  }
  return data;
}

/**
 * Validates a stack's config. `raw` is Pulumi's config map (`llm-platform:<key>` to string),
 * `secretConfigKeys` the full keys Pulumi holds as secrets, `stack` the stack's name (its rules are
 * skipped without it). Pure: safe to call before any resource exists.
 */
export function validateConfig(raw: Readonly<Record<string, string>>, secretConfigKeys: ReadonlySet<string>, stack?: string): ValidationResult {
  const data = parseRawConfig(raw);
  const errors: string[] = [...checkNamespaces(Object.keys(raw), projectName)];
  const leaks = findLeakedCredentials(data, secretKeys);
  for (const leak of leaks) errors.push(`${keyPath(leak.path)}: got ${leak.shown}; ${leak.message}`);
  for (const key of secretKeys) {
    if (data[key] !== undefined && !secretConfigKeys.has(`${projectName}:${key}`)) {
      errors.push(`${keyPath([key])}: is set in plaintext; it is a credential, set it with: pulumi config set --secret ${key} <value>`);
    }
  }
  const stackNameOk = stack !== undefined && checkStackName(stack).length === 0;
  if (stack !== undefined) errors.push(...checkStackName(stack));
  // Read from the raw data, so that the mismatch shows even when other mistakes stop the schema.
  if (stackNameOk && (data.environment === "dev" || data.environment === "staging" || data.environment === "prod")) {
    errors.push(...checkEnvironmentMatchesStack(stack, { environment: data.environment, allowEnvironmentNotMatchingStackName: [true, "true"].includes(data.allowEnvironmentNotMatchingStackName as string) || undefined }, projectName));
  }
  const parsed = platformSchema.safeParse(data);
  if (!parsed.success) errors.push(...formatIssues(parsed.error.issues, data, leaks.map((leak) => leak.path)));
  else if (stackNameOk) {
    for (const problem of checkDerivedNames(parsed.data, stack)) {
      errors.push(`${keyPath(problem.path)}: got ${show(valueAt(parsed.data, problem.path))}; ${problem.message}`);
    }
  }
  return errors.length === 0 && parsed.success ? { ok: true, config: parsed.data } : { ok: false, errors };
}

/** Stack names become part of cloud resource names (EKS and GKE cluster names, IAM roles, buckets). */
export function checkStackName(stack: string): string[] {
  return /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/.test(stack)
    ? []
    : [`stack name "${stack}": must be a lowercase DNS label (a-z, 0-9, '-') of at most 20 characters, because it becomes part of cloud resource names`];
}
