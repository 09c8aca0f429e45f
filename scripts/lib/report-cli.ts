import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { consoleIo, type CliIo } from "./cli-io";
import { readStackFile, repoRoot } from "./stack-file";
import { buildReport, type StackReport } from "./stack-report/build";
import { diffReports } from "./stack-report/diff";
import { loadReport } from "./stack-report/load";
import { renderMarkdown, renderText } from "./stack-report/render";

const reportUsage = "usage: npm run report -- --stack <name> [--stack <name> ...] [--synth DIR] [--base PATH] [--json | --markdown]";

async function headReport(stack: string, synthDir: string | undefined, importProgram: () => Promise<unknown>): Promise<StackReport> {
  if (synthDir) {
    const report = loadReport(synthDir, stack);
    if (!report) throw new Error(`${synthDir}: no synth output for stack ${stack}`);
    return report;
  }
  // Loaded only here: the Pulumi SDK takes seconds to import, and reading synth folders needs none of it.
  const { synthesize } = await import("./synthesize");
  const result = await synthesize(stack, readStackFile(join(repoRoot, `Pulumi.${stack}.yaml`)), importProgram);
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml: invalid stack configuration\n${result.errors.map((e) => `  - ${e}`).join("\n")}`);
  return buildReport(stack, result.resources);
}

/**
 * `npm run report` (scripts/report.ts) without the process: returns the exit code, or throws an error
 * whose message is for the user (run it through exitCodeOf). `importProgram` as in synthMain.
 */
export async function reportMain(
  argv: readonly string[],
  io: CliIo = consoleIo,
  importProgram: () => Promise<unknown> = () => import(join(repoRoot, "index.ts")),
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
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
    io.err(reportUsage);
    return 2;
  }
  const synthDir = values.synth && resolve(values.synth);
  const basePath = values.base && resolve(values.base);
  const entries = [];
  for (const stack of stacks) {
    const report = await headReport(stack, synthDir, importProgram);
    const diff = basePath ? diffReports(loadReport(basePath, stack), report) : undefined;
    entries.push({ report, diff });
  }
  if (values.markdown) {
    io.out(renderMarkdown(entries));
  } else if (values.json) {
    const json = entries.map(({ report, diff }) => ({ ...report, comparison: diff ?? null }));
    io.out(JSON.stringify(json.length === 1 ? json[0] : json, null, 2));
  } else {
    io.out(entries.map(({ report, diff }) => renderText(report, diff)).join("\n\n"));
  }
  return 0;
}
