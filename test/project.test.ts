import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { charts } from "../components/versions";
import { repoRoot, stackNames } from "./support/synth";

const project = parse(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")) as {
  name: string;
  runtime: { name: string };
  config: Record<string, { value?: unknown; type?: string }>;
};

describe("the Pulumi project", () => {
  it("is the nodejs project llm-platform", () => {
    expect(project.name).toBe("llm-platform");
    expect(project.runtime.name).toBe("nodejs");
  });

  it("disables default providers for every package, so nothing lands on the ambient kubeconfig or cloud account", () => {
    expect(project.config["pulumi:disable-default-providers"]?.value).toEqual(["*"]);
  });

  it("describes every top-level config key the stack files use", () => {
    for (const stack of stackNames()) {
      const file = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
      for (const key of Object.keys(file.config)) {
        const bare = key.replace(/^llm-platform:/, "");
        expect(project.config[bare], `${stack}: ${key}`).toBeDefined();
      }
    }
  });

  it("pins every chart to an exact version", () => {
    for (const [name, pin] of Object.entries(charts)) expect(pin.version, name).toMatch(/^v?\d+\.\d+\.\d+$/);
  });

  it("targets Node 22 LTS", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { engines: { node: string } };
    expect(readFileSync(join(repoRoot, ".nvmrc"), "utf8").trim()).toBe("22");
    expect(pkg.engines.node).toMatch(/^>=22/);
  });
});
