import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { consoleIo, type CliIo } from "./cli-io";
import { outDirProblem, synthMarker } from "./out-dir";
import { readStackFile, repoRoot } from "./stack-file";

const synthUsage = `usage: npm run synth -- --stack <name> [--out <dir>] [--config-file <path>] [--preview]

Runs the program for one stack under Pulumi's mocks (no cloud, no credentials) and writes
resources.json, outputs.json and manifests/ to the output folder.

  --stack <name>         stack to synthesize (reads Pulumi.<name>.yaml)
  --out <dir>            output folder; default out/<stack> (out/<stack>-preview with --preview).
                         Must be new, empty, or a folder synth wrote before (it holds ${synthMarker});
                         synth never replaces anything else
  --config-file <path>   stack file to read instead of Pulumi.<stack>.yaml
  --preview              run as the preview of a brand-new stack: computed values are [unknown]
  -h, --help             print this help`;

/**
 * `npm run synth` (scripts/synth.ts) without the process: returns the exit code. `importProgram` loads
 * index.ts afresh; a test passes one that resets its module cache first, since a process runs it once.
 */
export async function synthMain(
  argv: readonly string[],
  io: CliIo = consoleIo,
  importProgram: () => Promise<unknown> = () => import(join(repoRoot, "index.ts")),
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string" },
        out: { type: "string" },
        "config-file": { type: "string" },
        preview: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${synthUsage}`);
    return 2;
  }
  if (values.help) {
    io.out(synthUsage);
    return 0;
  }
  const stack = values.stack;
  if (!stack) {
    io.err(synthUsage);
    return 2;
  }
  const configFile = resolve(values["config-file"] ?? join(repoRoot, `Pulumi.${stack}.yaml`));
  const outDir = resolve(values.out ?? join(repoRoot, "out", values.preview ? `${stack}-preview` : stack));
  // Checked before the run, so that a refused folder costs nothing and is never touched.
  const problem = outDirProblem(values.out ?? outDir);
  if (problem) {
    io.err(problem);
    return 2;
  }
  const started = performance.now();
  // Loaded only now, so that --help and refusals answer at once, without loading the Pulumi SDK.
  const { synthesize } = await import("./synthesize");
  const { writeSynthOutput, summary } = await import("./report");
  const result = await synthesize(stack, readStackFile(configFile), importProgram, { preview: values.preview });
  if (!result.ok) {
    io.err(`${configFile}: invalid stack configuration`);
    for (const error of result.errors) io.err(`  - ${error}`);
    return 1;
  }
  const { manifests } = writeSynthOutput(result, outDir);
  io.out(summary(result, manifests, { preview: values.preview }));
  io.out(`wrote ${outDir} in ${((performance.now() - started) / 1000).toFixed(2)} s (peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB)`);
  return 0;
}
