import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { vi } from "vitest";
import { servingChart } from "../../components/serving/llm-serving";
import { manifestsOf } from "../../scripts/lib/manifests";
import { readStackFile, repoRoot, stackNames } from "../../scripts/lib/stack-file";
import { synthesize, type SynthOptions, type SynthResource, type SynthResult } from "../../scripts/lib/synthesize";
import { synthCacheVariable } from "./synth-cache";

export { stackNames, repoRoot };

/** The committed stacks this worker has read or synthesized, as JSON: each caller gets its own copy to look at. */
const committedStacks: Map<string, string> = ((globalThis as { llmPlatformCommittedStacks?: Map<string, string> }).llmPlatformCommittedStacks ??= new Map());

/**
 * Synthesizes a committed stack file (never a copy of it) with the real program. Each committed
 * stack is synthesized once per test run and shared through the run's cache folder
 * (test/support/synth-cache.ts), unless `fresh` asks for a run of its own.
 */
export async function synthStack(
  stack: string,
  configFile = join(repoRoot, `Pulumi.${stack}.yaml`),
  options: SynthOptions & { fresh?: boolean } = {},
): Promise<SynthResult> {
  const { fresh, ...synthOptions } = options;
  const committed = configFile === join(repoRoot, `Pulumi.${stack}.yaml`);
  if (!committed || fresh || synthOptions.preview) return synthesizeInProcess(stack, configFile, synthOptions);
  return JSON.parse(await committedStackJson(stack)) as SynthResult;
}

async function committedStackJson(stack: string): Promise<string> {
  const known = committedStacks.get(stack);
  if (known) return known;
  const cacheDir = process.env[synthCacheVariable];
  const cached = cacheDir ? join(cacheDir, `${stack}.json`) : undefined;
  let json = cached && existsSync(cached) ? readFileSync(cached, "utf8") : undefined;
  if (json === undefined) {
    json = JSON.stringify(await synthesizeInProcess(stack, join(repoRoot, `Pulumi.${stack}.yaml`), {}));
    // Written whole and then renamed, so that another worker never reads half a file.
    if (cached) {
      const partial = `${cached}.${process.pid}`;
      writeFileSync(partial, json);
      renameSync(partial, cached);
    }
  }
  committedStacks.set(stack, json);
  return json;
}

/** Loads index.ts afresh, so that the program runs again: what a new process does for a command. */
export async function importProgramAfresh(): Promise<unknown> {
  vi.resetModules();
  return import("../../index");
}

async function synthesizeInProcess(stack: string, configFile: string, options: SynthOptions): Promise<SynthResult> {
  const result = await synthesize(stack, readStackFile(configFile), importProgramAfresh, options);
  if (!result.ok) throw new Error(`stack ${stack} failed to synthesize:\n${result.errors.join("\n")}`);
  return result;
}

export const ofType = (result: SynthResult, type: string): SynthResource[] => result.resources.filter((r) => r.type === type);

/** The Kubernetes objects of one kind as the program declares them: `objectsOf(result, "apps/v1:Deployment")`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const objectsOf = (result: SynthResult, type: string): Record<string, any>[] => ofType(result, `kubernetes:${type}`).map((r) => r.inputs);

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
