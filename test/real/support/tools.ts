import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Tools of the real checks and the version .ci/real-tools.sh builds of each. */
export const realToolVersions = {
  "kube-apiserver": "v1.34.3",
  kubectl: "v1.35.2",
  etcd: "v3.6.14",
  kwok: "v0.8.0",
  "kube-controller-manager": "v1.34.3",
  "kube-scheduler": "v1.34.3",
} as const;
export type RealToolName = keyof typeof realToolVersions;

/** Where .ci/real-tools.sh puts its builds: `<cache>/real-tools/<name>-<version>/<name>`. */
export const realToolCache = join(process.env.LLM_PLATFORM_CACHE ?? join(homedir(), ".cache", "llm-platform"), "real-tools");

function onPath(name: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The pinned build from the cache, else one on PATH (a user's own kubectl, say); undefined when neither exists. */
export function findRealTool(name: RealToolName): string | undefined {
  const cached = join(realToolCache, `${name}-${realToolVersions[name]}`, name);
  return existsSync(cached) ? cached : onPath(name);
}

export function requireRealTool(name: RealToolName): string {
  const path = findRealTool(name);
  if (!path) {
    throw new Error(
      `${name} not found in ${realToolCache}/${name}-${realToolVersions[name]} or on PATH. ` +
        `Build it once with .ci/real-tools.sh (needs Go and the Go module proxy; kube-apiserver takes ~15 min cold), ` +
        `or put your own ${name} on PATH.`,
    );
  }
  return path;
}
