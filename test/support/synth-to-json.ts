/**
 * Child process of test/support/synth-cache.ts: synthesizes one committed stack with the real program
 * and writes the SynthResult as JSON. Usage: node --import tsx synth-to-json.ts <stack> <out.json>
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readStackFile, repoRoot } from "../../scripts/lib/stack-file";
import { synthesize } from "../../scripts/lib/synthesize";

async function main(): Promise<void> {
  const [stack, out] = process.argv.slice(2);
  if (!stack || !out) throw new Error("usage: synth-to-json.ts <stack> <out.json>");
  const result = await synthesize(stack, readStackFile(join(repoRoot, `Pulumi.${stack}.yaml`)), () => import(join(repoRoot, "index.ts")));
  writeFileSync(out, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
