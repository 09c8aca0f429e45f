/**
 * npm run synth -- --stack <name> [--out <dir>] [--config-file <path>] [--preview]
 * Runs the real program under Pulumi's mocks: no CLI, no credentials, no network. `--preview` runs it
 * as the preview of a brand-new stack, where everything a provider computes is unknown, and so is
 * every output of a Kubernetes object (its cluster does not exist yet).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeSynthOutput, summary } from "./lib/report";
import { readStackFile, repoRoot } from "./lib/stack-file";
import { synthesize } from "./lib/synthesize";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { stack: { type: "string" }, out: { type: "string" }, "config-file": { type: "string" }, preview: { type: "boolean", default: false } },
  });
  const stack = values.stack;
  if (!stack) {
    console.error("usage: npm run synth -- --stack <name> [--out <dir>] [--config-file <path>] [--preview]");
    return 2;
  }
  const configFile = resolve(values["config-file"] ?? join(repoRoot, `Pulumi.${stack}.yaml`));
  const outDir = resolve(values.out ?? join(repoRoot, "out", stack));
  const started = performance.now();
  const result = await synthesize(stack, readStackFile(configFile), () => import(join(repoRoot, "index.ts")), { preview: values.preview });
  if (!result.ok) {
    console.error(`${configFile}: invalid stack configuration`);
    for (const error of result.errors) console.error(`  - ${error}`);
    return 1;
  }
  const { manifests } = writeSynthOutput(result, outDir);
  console.log(summary(result, manifests));
  console.log(`wrote ${outDir} in ${((performance.now() - started) / 1000).toFixed(2)} s (peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
