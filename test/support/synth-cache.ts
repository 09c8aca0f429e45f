import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, stackNames } from "../../scripts/lib/stack-file";

/** Where the cached results are; test/support/synth.ts reads it. */
export const synthCacheVariable = "LLM_PLATFORM_SYNTH_CACHE";

function synthToJson(stack: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "synth-to-json.ts"), stack, out], {
      cwd: repoRoot,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`synth of ${stack} failed:\n${stderr}`))));
  });
}

/**
 * vitest globalSetup: every committed stack is synthesized once, in parallel child processes, instead
 * of once per test file that reads it. Tests that need a fresh run (or a variant) still synthesize
 * in-process.
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "llm-platform-synth-"));
  const queue = [...stackNames()];
  const worker = async () => {
    for (let stack = queue.shift(); stack; stack = queue.shift()) await synthToJson(stack, join(dir, `${stack}.json`));
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(availableParallelism(), 4)) }, worker));
  process.env[synthCacheVariable] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
