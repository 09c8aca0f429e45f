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

  it("raises an EKS node group's minSize in two steps that work with ignoreChanges: AWS first, then a refreshing up", () => {
    // Pulumi sends the desired size in its state for an ignored property; only a refresh brings AWS's back.
    const section = readme.slice(readme.indexOf("**Raising a node group's `minSize`.**"), readme.indexOf("**What `pulumi destroy` removes.**"));
    expect(section).toMatch(/aws eks update-nodegroup-config --cluster-name <cluster> --nodegroup-name <group>\s+--scaling-config desiredSize=<new minSize>/);
    expect(section).toMatch(/then `pulumi up --refresh`/);
  });
});
