import { join } from "node:path";
import { readStackFile, repoRoot } from "../../scripts/lib/stack-file";
import { validateConfig, type ValidationResult } from "../../stacks/config/validate";

type Path = (string | number)[];
export type Mutation = { set: Path; to: unknown } | { remove: Path };

const project = "llm-platform:";
/** A config key without the project prefix; another namespace's key (`aws:region`) stays whole. */
const shortKey = (fullKey: string) => (fullKey.startsWith(project) ? fullKey.slice(project.length) : fullKey);
const fullKey = (key: string) => (key.includes(":") ? key : `${project}${key}`);

/**
 * Validates a committed stack file after applying mutations to its structured values, as a user
 * editing Pulumi.<stack>.yaml would. Path[0] is the config key without the project prefix, or a full
 * key of another namespace (`aws:region`, or a misspelled `llm-platfrom:tls`). `stack` names the
 * stack for the rules that read its name; `asStack` validates the file as if its stack had that name.
 */
export function validateStack(stack: string, mutations: Mutation[] = [], secrets: Record<string, string> = {}, asStack = stack): ValidationResult {
  const { config, secretKeys } = readStackFile(join(repoRoot, `Pulumi.${stack}.yaml`));
  const data: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(config)) {
    data[shortKey(key)] = /^[[{]/.test(text) ? JSON.parse(text) : text;
  }
  for (const mutation of mutations) {
    const path = "set" in mutation ? mutation.set : mutation.remove;
    let target = data as Record<string | number, unknown>;
    for (const segment of path.slice(0, -1)) {
      target[segment] ??= typeof segment === "number" ? [] : {};
      target = target[segment] as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    if ("set" in mutation) target[last] = mutation.to;
    else delete target[last];
  }
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) raw[fullKey(key)] = typeof value === "string" ? value : JSON.stringify(value);
  const secretSet = new Set(secretKeys);
  for (const [key, value] of Object.entries(secrets)) {
    raw[fullKey(key)] = value;
    secretSet.add(fullKey(key));
  }
  return validateConfig(raw, secretSet, asStack);
}

export const errorsOf = (result: ValidationResult): string[] => (result.ok ? [] : result.errors);

export const kubeconfig = { kubeconfig: "apiVersion: v1" };
export const sshPrivateKey = { sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" };
export const hfToken = { hfToken: "hf_test" };
/**
 * The credentials a stack's owner sets: a kubeconfig to adopt a cluster, an SSH key to build one,
 * or the Hugging Face token prod's gated model needs (from the stack's ESC environment or the CLI).
 */
export const secretsFor = (stack: string): Record<string, string> =>
  stack === "k3s-lab" ? sshPrivateKey : stack === "local" ? kubeconfig : stack === "prod" ? hfToken : {};
