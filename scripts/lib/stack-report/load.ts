import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { SynthResource } from "../synthesize";
import { buildReport, type StackReport } from "./build";

/**
 * Reads a stack's report from what `--synth`/`--base` point at: a synth output folder
 * (`npm run synth -- --out DIR` writes DIR/resources.json), a folder of them per stack
 * (DIR/<stack>/resources.json), or a JSON file holding a report (`--json`), a synth result or a
 * resources array. Undefined when the path holds nothing for this stack.
 */
export function loadReport(path: string, stack: string): StackReport | undefined {
  const candidates = existsSync(path) && statSync(path).isDirectory()
    ? [join(path, "resources.json"), join(path, stack, "resources.json"), join(path, `${stack}.json`)]
    : [path];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) return undefined;
  const data = JSON.parse(readFileSync(file, "utf8")) as unknown;
  const reports = (Array.isArray(data) && data.every((entry) => typeof entry?.schemaVersion === "number") ? data : [data]) as Record<string, unknown>[];
  const report = reports.find((entry) => typeof entry.schemaVersion === "number" && entry.stack === stack);
  if (report) return report as unknown as StackReport;
  if (reports.some((entry) => typeof entry.schemaVersion === "number")) return undefined;
  const resources = Array.isArray(data) ? data : (data as { resources?: unknown }).resources;
  if (!Array.isArray(resources)) throw new Error(`${file}: neither a report, a synth result nor a resources.json`);
  return buildReport(stack, resources as SynthResource[]);
}
