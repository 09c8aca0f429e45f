/**
 * RFC 6902 JSON patch, the subset the API server applies for our patches: test, replace, add,
 * remove. Throws, like the API server refuses the whole patch, when a test fails or a path is missing.
 */
export type PatchOp = { op: "test" | "replace" | "add"; path: string; value: unknown } | { op: "remove"; path: string };

const segments = (path: string) => path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));

export function applyJsonPatch<T>(document: T, patch: readonly PatchOp[]): T {
  const result = structuredClone(document) as unknown;
  for (const operation of patch) {
    const keys = segments(operation.path);
    const last = keys.pop()!;
    let parent = result as Record<string, unknown>;
    for (const key of keys) {
      if (parent === null || typeof parent !== "object" || !(key in parent)) throw new Error(`${operation.op} ${operation.path}: no such path`);
      parent = parent[key] as Record<string, unknown>;
    }
    const exists = parent !== null && typeof parent === "object" && last in parent;
    if (operation.op !== "add" && !exists) throw new Error(`${operation.op} ${operation.path}: no such path`);
    if (operation.op === "test") {
      if (JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) throw new Error(`test ${operation.path}: got ${JSON.stringify(parent[last])}`);
    } else if (operation.op === "remove") {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (operation.op === "add" && Array.isArray(parent)) {
      parent.splice(last === "-" ? parent.length : Number(last), 0, operation.value);
    } else {
      parent[last] = operation.value;
    }
  }
  return result as T;
}
