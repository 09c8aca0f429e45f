import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { repoRoot } from "../../scripts/lib/stack-file";
import { requireTool } from "../../scripts/lib/tools";

export const servingChartPath = join(repoRoot, "charts", "llm-serving");

export interface HelmRun {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the pinned helm with a values object written to a scratch file (never through --set, which mangles types). */
export function helm(args: string[], values?: Record<string, unknown>): HelmRun {
  const scratch = mkdtempSync(join(tmpdir(), "llm-chart-test-"));
  try {
    const valueArgs: string[] = [];
    if (values) {
      const file = join(scratch, "values.json");
      writeFileSync(file, JSON.stringify(values));
      valueArgs.push("-f", file);
    }
    const run = spawnSync(requireTool("helm"), [...args, ...valueArgs], { encoding: "utf8" });
    return { ok: run.status === 0, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const lintChart = (values?: Record<string, unknown>, extra: string[] = []) =>
  helm(["lint", "--strict", servingChartPath, ...extra], values);

/** `helm template` of the serving chart; throws with helm's message when it refuses the values. */
export function renderChart(values: Record<string, unknown>, release = "test", namespace = "llm-serving"): Record<string, unknown>[] {
  const run = helm(["template", release, servingChartPath, "--namespace", namespace], values);
  if (!run.ok) throw new Error(run.stderr);
  return parseAllDocuments(run.stdout)
    .map((document) => document.toJS() as Record<string, unknown> | null)
    .filter((object): object is Record<string, unknown> => object !== null);
}
