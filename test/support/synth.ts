import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { vi } from "vitest";
import { servingChart } from "../../components/serving/llm-serving";
import { manifestsOf } from "../../scripts/lib/manifests";
import { readStackFile, repoRoot, stackNames } from "../../scripts/lib/stack-file";
import { synthesize, type SynthOptions, type SynthResource, type SynthResult } from "../../scripts/lib/synthesize";
import { synthCacheVariable } from "./synth-cache";

export { stackNames, repoRoot };

/**
 * Synthesizes a committed stack file (never a copy of it) with the real program. The committed
 * stacks are synthesized once per test run (test/support/synth-cache.ts) and read from there, unless
 * `fresh` asks for a run of its own.
 */
export async function synthStack(
  stack: string,
  configFile = join(repoRoot, `Pulumi.${stack}.yaml`),
  options: SynthOptions & { fresh?: boolean } = {},
): Promise<SynthResult> {
  const { fresh, ...synthOptions } = options;
  const cached = join(process.env[synthCacheVariable] ?? "/nonexistent", `${stack}.json`);
  const committed = configFile === join(repoRoot, `Pulumi.${stack}.yaml`);
  if (committed && !fresh && !synthOptions.preview && existsSync(cached)) return JSON.parse(readFileSync(cached, "utf8")) as SynthResult;
  return synthesizeInProcess(stack, configFile, synthOptions);
}

async function synthesizeInProcess(stack: string, configFile: string, options: SynthOptions): Promise<SynthResult> {
  const result = await synthesize(stack, readStackFile(configFile), async () => {
    vi.resetModules();
    return import("../../index");
  }, options);
  if (!result.ok) throw new Error(`stack ${stack} failed to synthesize:\n${result.errors.join("\n")}`);
  return result;
}

export const ofType = (result: SynthResult, type: string): SynthResource[] => result.resources.filter((r) => r.type === type);

export function byName(result: SynthResult, name: string): SynthResource {
  const found = result.resources.find((resource) => resource.name === name);
  if (!found) throw new Error(`no resource named ${name}; have: ${result.resources.map((r) => r.name).join(", ")}`);
  return found;
}

/** The objects of a stack's llm-serving releases (the project's own chart), rendered by real helm. */
export function servingObjects(result: SynthResult): Record<string, unknown>[] {
  const releases = ofType(result, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === servingChart);
  return manifestsOf(releases).map((manifest) => manifest.object);
}
