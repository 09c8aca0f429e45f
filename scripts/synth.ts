/**
 * npm run synth -- --stack <name> [--out <dir>] [--config-file <path>] [--preview]
 * Runs the real program under Pulumi's mocks: no CLI, no credentials, no network. `--preview` runs it
 * as the preview of a brand-new stack, where everything a provider computes is unknown, and so is
 * every output of a Kubernetes object (its cluster does not exist yet).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runMain } from "./lib/run-main";
import { outDirProblem, synthMarker } from "./lib/out-dir";
import { readStackFile, repoRoot } from "./lib/stack-file";

const usage = `usage: npm run synth -- --stack <name> [--out <dir>] [--config-file <path>] [--preview]

Runs the program for one stack under Pulumi's mocks (no cloud, no credentials) and writes
resources.json, outputs.json and manifests/ to the output folder.

  --stack <name>         stack to synthesize (reads Pulumi.<name>.yaml)
  --out <dir>            output folder; default out/<stack> (out/<stack>-preview with --preview).
                         Must be new, empty, or a folder synth wrote before (it holds ${synthMarker});
                         synth never replaces anything else
  --config-file <path>   stack file to read instead of Pulumi.<stack>.yaml
  --preview              run as the preview of a brand-new stack: computed values are [unknown]
  -h, --help             print this help`;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        stack: { type: "string" },
        out: { type: "string" },
        "config-file": { type: "string" },
        preview: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const stack = values.stack;
  if (!stack) {
    console.error(usage);
    return 2;
  }
  const configFile = resolve(values["config-file"] ?? join(repoRoot, `Pulumi.${stack}.yaml`));
  const outDir = resolve(values.out ?? join(repoRoot, "out", values.preview ? `${stack}-preview` : stack));
  // Checked before the run, so that a refused folder costs nothing and is never touched.
  const problem = outDirProblem(values.out ?? outDir);
  if (problem) {
    console.error(problem);
    return 2;
  }
  const started = performance.now();
  // Loaded only now, so that --help and refusals answer at once, without loading the Pulumi SDK.
  const { synthesize } = await import("./lib/synthesize");
  const { writeSynthOutput, summary } = await import("./lib/report");
  const result = await synthesize(stack, readStackFile(configFile), () => import(join(repoRoot, "index.ts")), { preview: values.preview });
  if (!result.ok) {
    console.error(`${configFile}: invalid stack configuration`);
    for (const error of result.errors) console.error(`  - ${error}`);
    return 1;
  }
  const { manifests } = writeSynthOutput(result, outDir);
  console.log(summary(result, manifests, { preview: values.preview }));
  console.log(`wrote ${outDir} in ${((performance.now() - started) / 1000).toFixed(2)} s (peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB)`);
  return 0;
}

runMain(main);
