/** npm run docs:chart: regenerates the values table of charts/llm-serving/README.md from values.yaml and values.schema.json. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chartReadme, withValuesTable } from "./lib/chart-docs";
import { repoRoot } from "./lib/stack-file";

const path = join(repoRoot, chartReadme);
const current = readFileSync(path, "utf8");
const updated = withValuesTable(current);
if (process.argv.includes("--write")) {
  writeFileSync(path, updated);
  console.log(updated === current ? `${chartReadme} values table is up to date` : `${chartReadme} values table updated`);
} else if (updated !== current) {
  console.error(`${chartReadme} values table is stale: run npm run docs:chart`);
  process.exit(1);
}
