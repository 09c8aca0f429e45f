import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { policies } from "../policy/policies";
import { repoRoot } from "./support/synth";

const readJson = (path: string) => JSON.parse(readFileSync(join(repoRoot, path), "utf8")) as Record<string, Record<string, string>>;

describe("policy pack project (policy/)", () => {
  it("declares exactly the versions the root installs, since it resolves them from the root node_modules", () => {
    const root = readJson("package.json");
    const pack = readJson("policy/package.json");
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    for (const [name, version] of Object.entries({ ...pack.dependencies, ...pack.devDependencies })) {
      expect(version, name).toBe(rootVersions[name]);
    }
    expect(pack.main).toBe("index.ts");
  });

  it("is a nodejs policy project named like the PolicyPack it constructs", () => {
    const project = parse(readFileSync(join(repoRoot, "policy", "PulumiPolicy.yaml"), "utf8")) as { name: string; runtime: string };
    expect(project.runtime).toBe("nodejs");
    expect(readFileSync(join(repoRoot, "policy", "index.ts"), "utf8")).toContain(`new PolicyPack("${project.name}"`);
  });

  it("is documented: the CI/CD page's policy table lists exactly the pack's policies", () => {
    const readme = readFileSync(join(repoRoot, "docs", "ci-cd.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Policies:"), readme.indexOf("### Asking for a policy exception"));
    const documented = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(policies.map((policy) => policy.name).sort());
  });

  it("starts: constructing the PolicyPack serves it and prints the gRPC port, as the Pulumi CLI expects", async () => {
    const child = spawn(join(repoRoot, "node_modules", ".bin", "tsx"), [join(repoRoot, "policy", "index.ts")], { cwd: repoRoot });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    }).finally(() => child.kill());
    expect(firstLine).toMatch(/^\d+$/);
  });
});
