import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/stack-file";

/** Where the synthesized committed stacks are kept for this test run; test/support/synth.ts fills and reads it. */
export const synthCacheVariable = "LLM_PLATFORM_SYNTH_CACHE";

/**
 * vitest globalSetup: one folder per test run in which each committed stack's SynthResult is kept
 * as JSON, so that the test files share one synthesis per stack. The first worker that needs a
 * stack synthesizes it in-process (about a second, with the program's modules already loaded) and
 * writes it here; a child process per stack would spend four times that loading Node, tsx and the SDKs.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), "llm-platform-synth-"));
  process.env[synthCacheVariable] = dir;
  // The workers and the CLIs the tests spawn (synth, report, the policy pack) each load the Pulumi SDK;
  // Node's on-disk compile cache lets all but the first skip compiling it again (about 7% of their CPU).
  // It lives outside the run's folder because processes may still write to it after teardown.
  process.env.NODE_COMPILE_CACHE ??= join(repoRoot, "node_modules", ".cache", "node-compile-cache");
  return () => rmSync(dir, { recursive: true, force: true });
}
