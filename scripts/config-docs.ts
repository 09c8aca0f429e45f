/** npm run docs:config: regenerates the stack config reference in README.md from the zod schema. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withConfigReference } from "./lib/config-docs";
import { repoRoot } from "./lib/stack-file";

const readmePath = join(repoRoot, "README.md");
const current = readFileSync(readmePath, "utf8");
const updated = withConfigReference(current);
if (process.argv.includes("--write")) {
  writeFileSync(readmePath, updated);
  console.log(updated === current ? "README config reference is up to date" : "README config reference updated");
} else if (updated !== current) {
  console.error("README config reference is stale: run npm run docs:config");
  process.exit(1);
}
