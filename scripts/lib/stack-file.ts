import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const repoRoot = join(__dirname, "..", "..");

export interface StackConfig {
  /** Pulumi config map as the engine hands it to the program: structured values as JSON strings. */
  readonly config: Record<string, string>;
  /** Full keys holding secrets (`secure:` values in the file). */
  readonly secretKeys: string[];
}

export function projectName(root = repoRoot): string {
  const project = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name: string };
  return project.name;
}

/** The stack files committed in the repo: Pulumi.<stack>.yaml. */
export function stackNames(root = repoRoot): string[] {
  return readdirSync(root)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/**
 * A stand-in for a secret the synth cannot decrypt; never a real credential. Shaped as an https URL
 * (on the reserved .invalid domain), so that URL-typed secrets such as notifyWebhookUrl validate too.
 */
export const secretPlaceholder = (key: string) =>
  `https://synth-placeholder-secret-for-${key.split(":").pop()!.toLowerCase()}.invalid/`;

function hasSecure(value: unknown): boolean {
  if (value && typeof value === "object") {
    if ("secure" in value && Object.keys(value).length === 1) return true;
    return Object.values(value).some(hasSecure);
  }
  return false;
}

function replaceSecure(key: string, value: unknown): unknown {
  if (value && typeof value === "object") {
    if ("secure" in value && Object.keys(value).length === 1) return secretPlaceholder(key);
    if (Array.isArray(value)) return value.map((item) => replaceSecure(key, item));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(key, v)]));
  }
  return value;
}

/**
 * Reads a Pulumi.<stack>.yaml the way the engine would hand it to the program. Encrypted (`secure:`)
 * values cannot be decrypted offline, so they become placeholders and their keys are marked secret.
 */
export function readStackFile(path: string): StackConfig {
  if (!existsSync(path)) throw new Error(`stack file not found: ${path}`);
  const document = (parse(readFileSync(path, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document.config ?? {})) {
    if (hasSecure(value)) secretKeys.push(key);
    const plain = replaceSecure(key, value);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { config, secretKeys };
}
