import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isScalar, isSeq, parse, parseDocument } from "yaml";

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
 * A stand-in for a secret the synth cannot decrypt; never a real credential. It holds an https URL on
 * the reserved .invalid domain (URL-typed secrets such as notifyWebhookUrl are just that URL).
 */
export const secretPlaceholder = (key: string): string => {
  const name = key.split(":").pop()!.toLowerCase();
  const marker = `https://synth-placeholder-secret-for-${name}.invalid/`;
  // Shaped like the real value, so that the config rules that check a credential's shape accept it.
  if (name === "kubeconfig") return `apiVersion: v1\nkind: Config\nclusters: []\n# ${marker}\n`;
  if (name === "sshprivatekey") return `-----BEGIN OPENSSH PRIVATE KEY-----\n${marker}\n-----END OPENSSH PRIVATE KEY-----\n`;
  return marker;
};

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

/** A stack file that is not valid YAML; the message names the file, line, column and key path. */
export class StackFileError extends Error {}

/** The key path (`config.llm-platform:cluster.region`) of the map key at `offset`, if there is one. */
function keyPathAt(node: unknown, offset: number, path: string[] = []): string[] | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) return [...path, key];
      const inner = keyPathAt(pair.value, offset, [...path, key]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const inner = keyPathAt(item, offset, [...path.slice(0, -1), `${path[path.length - 1] ?? ""}[${index}]`]);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Parses a stack file; syntax errors and duplicate keys name the file, the line and the key path. */
export function parseStackYaml(path: string, text: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length === 0) return document.toJS();
  const problems = document.errors.map((error) => {
    const at = error.linePos?.[0];
    const where = `${path}${at ? `:${at.line}:${at.col}` : ""}`;
    const firstLine = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    if (error.code === "DUPLICATE_KEY") {
      const keys = keyPathAt(document.contents, error.pos[0]);
      const key = keys ? keys.join(".") : "a key";
      return `${where}: duplicate key ${key}: a key may appear once per map; delete or merge one of the two`;
    }
    return `${where}: YAML syntax error: ${firstLine}`;
  });
  throw new StackFileError(`invalid stack file:\n  - ${problems.join("\n  - ")}`);
}

/**
 * Reads a Pulumi.<stack>.yaml the way the engine would hand it to the program. Encrypted (`secure:`)
 * values cannot be decrypted offline, so they become placeholders and their keys are marked secret.
 */
export function readStackFile(path: string): StackConfig {
  if (!existsSync(path)) throw new Error(`stack file not found: ${path}`);
  const document = (parseStackYaml(path, readFileSync(path, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document.config ?? {})) {
    if (hasSecure(value)) secretKeys.push(key);
    const plain = replaceSecure(key, value);
    config[key] = typeof plain === "string" ? plain : JSON.stringify(plain);
  }
  return { config, secretKeys };
}
