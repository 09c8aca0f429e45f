/** npm run docs:config: regenerates the stack config reference (docs/config-reference.md) from the zod schema. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { configReferencePage, withConfigReference } from "./lib/config-docs";
import { repoRoot } from "./lib/stack-file";

const pagePath = join(repoRoot, configReferencePage);
const current = readFileSync(pagePath, "utf8");
const updated = withConfigReference(current);
if (process.argv.includes("--write")) {
  writeFileSync(pagePath, updated);
  console.log(updated === current ? `${configReferencePage} is up to date` : `${configReferencePage} updated`);
} else if (updated !== current) {
  console.error(`${configReferencePage} is stale: run npm run docs:config`);
  process.exit(1);
}
