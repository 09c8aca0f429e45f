/**
 * npm run report -- --stack <name> [--stack <name> ...] [--synth DIR] [--base PATH] [--json | --markdown]
 * Modeled deploy time, monthly cost and risks of a stack, from the offline synth: in-process, or from
 * `npm run synth -- --out DIR` folders (`--synth`, needed for more than one stack). `--base` compares
 * with another synth or report (the base branch in a pull request).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runMain } from "./lib/run-main";
import { readStackFile, repoRoot } from "./lib/stack-file";
import { buildReport, type StackReport } from "./lib/stack-report/build";
import { diffReports } from "./lib/stack-report/diff";
import { loadReport } from "./lib/stack-report/load";
import { renderMarkdown, renderText } from "./lib/stack-report/render";

const usage = "usage: npm run report -- --stack <name> [--stack <name> ...] [--synth DIR] [--base PATH] [--json | --markdown]";

async function headReport(stack: string, synthDir: string | undefined): Promise<StackReport> {
  if (synthDir) {
    const report = loadReport(synthDir, stack);
    if (!report) throw new Error(`${synthDir}: no synth output for stack ${stack}`);
    return report;
  }
  // Loaded only here: the Pulumi SDK takes seconds to import, and reading synth folders needs none of it.
  const { synthesize } = await import("./lib/synthesize");
  const result = await synthesize(stack, readStackFile(join(repoRoot, `Pulumi.${stack}.yaml`)), () => import(join(repoRoot, "index.ts")));
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml: invalid stack configuration\n${result.errors.map((e) => `  - ${e}`).join("\n")}`);
  return buildReport(stack, result.resources);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", multiple: true },
      synth: { type: "string" },
      base: { type: "string" },
      json: { type: "boolean", default: false },
      markdown: { type: "boolean", default: false },
    },
  });
  const stacks = values.stack ?? [];
  // The program can be synthesized once per process: several stacks need their synth folders.
  if (stacks.length === 0 || (stacks.length > 1 && !values.synth) || (values.json && values.markdown)) {
    console.error(usage);
    return 2;
  }
  const synthDir = values.synth && resolve(values.synth);
  const basePath = values.base && resolve(values.base);
  const entries = [];
  for (const stack of stacks) {
    const report = await headReport(stack, synthDir);
    const diff = basePath ? diffReports(loadReport(basePath, stack), report) : undefined;
    entries.push({ report, diff });
  }
  if (values.markdown) {
    console.log(renderMarkdown(entries));
  } else if (values.json) {
    const json = entries.map(({ report, diff }) => ({ ...report, comparison: diff ?? null }));
    console.log(JSON.stringify(json.length === 1 ? json[0] : json, null, 2));
  } else {
    console.log(entries.map(({ report, diff }) => renderText(report, diff)).join("\n\n"));
  }
  return 0;
}

runMain(main);
