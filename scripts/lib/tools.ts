import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Check tools pinned in .ci/tools.json; .ci/run builds them once into a cache folder. */
export type ToolName = "helm" | "kube-score" | "actionlint" | "promtool";

const pins = JSON.parse(readFileSync(join(__dirname, "../../.ci/tools.json"), "utf8")) as Record<ToolName, { version: string }>;

export const toolCache = process.env.LLM_PLATFORM_TOOLS ?? join(homedir(), ".cache", "llm-platform", "tools");

/** The pinned build from the cache, else one on PATH; undefined when neither exists. */
export function findTool(name: ToolName): string | undefined {
  const cached = join(toolCache, `${name}-${pins[name].version}`, name);
  if (existsSync(cached)) return cached;
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function requireTool(name: ToolName): string {
  const path = findTool(name);
  if (!path) throw new Error(`${name} ${pins[name].version} not found in ${toolCache} or on PATH; run .ci/tools.sh to build it`);
  return path;
}
