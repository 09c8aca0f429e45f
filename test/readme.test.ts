import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withConfigReference } from "../scripts/lib/config-docs";
import { repoRoot } from "./support/synth";

const readme = readFileSync(join(repoRoot, "README.md"), "utf8");

describe("README", () => {
  it("has the config reference generated from the current schema (run npm run docs:config)", () => {
    expect(withConfigReference(readme)).toBe(readme);
  });

  it("documents the test command that .ci/run runs", () => {
    expect(readme).toContain("npm test");
    expect(readFileSync(join(repoRoot, ".ci", "run"), "utf8")).toMatch(/npm test/);
  });
});
