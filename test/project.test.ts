import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { charts } from "../components/versions";
import { repoRoot, stackNames } from "./support/synth";

const project = parse(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")) as {
  name: string;
  runtime: { name: string };
  config: Record<string, { value?: unknown; type?: string }>;
};

/**
 * index.ts compiled as the language host compiles it, then run with its two imports stubbed: what the
 * host reads as the stack's outputs. For a CommonJS program (package.json "type": "commonjs") the Node.js
 * language host takes `require(program)` whole (@pulumi/pulumi cmd/run/run.js); only an ES module's
 * `default` is unwrapped.
 */
function outputsAsTheLanguageHostReadsThem(outputs: object): unknown {
  const source = readFileSync(join(repoRoot, "index.ts"), "utf8");
  const tsconfig = JSON.parse(readFileSync(join(repoRoot, "tsconfig.json"), "utf8")) as { compilerOptions: object };
  const { options } = ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, repoRoot);
  const { outputText } = ts.transpileModule(source, { compilerOptions: options });
  const stubs: Record<string, object> = { "./stacks/config": { loadConfig: () => ({}) }, "./stacks/platform": { createPlatform: () => outputs } };
  const module = { exports: {} as unknown };
  new Function("require", "module", "exports", outputText)((name: string) => stubs[name], module, module.exports);
  return module.exports;
}

describe("the Pulumi project", () => {
  it("exports the platform's outputs as module.exports, so each is a stack output of its own (not one named default)", () => {
    const outputs = { llmApiUrl: "https://api.example.com/v1" };
    expect(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).type).toBe("commonjs");
    expect(outputsAsTheLanguageHostReadsThem(outputs)).toBe(outputs);
  });

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

describe("npm test", () => {
  const scripts = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const staticChecks = readFileSync(join(repoRoot, "scripts", "static-checks.ts"), "utf8");

  it("runs the unit tests and, beside them, the type check and the type-aware lint", () => {
    expect(scripts.test).toBe("tsx scripts/run-parallel.ts unit check");
    expect(scripts.unit).toBe("vitest run");
    expect(scripts.check).toBe("tsx scripts/static-checks.ts");
  });

  it("checks types and lints over the same program as tsc and eslint would, and fails on either", () => {
    // The whole tsconfig (its files and options), all of tsc's pre-emit diagnostics, ESLint over every file it lints.
    expect(staticChecks).toMatch(/ts\.getParsedCommandLineOfConfigFile\(configFile/);
    expect(staticChecks).toMatch(/ts\.getPreEmitDiagnostics\(program\)/);
    expect(staticChecks).toMatch(/eslint\.lintFiles\(\["\."\]\)/);
    expect(staticChecks).toMatch(/return diagnostics\.length > 0 \|\| lintErrors > 0 \? 1 : 0;/);
  });

  it("maps a test's own stack traces to the TypeScript line, and formats none of the Pulumi SDK's own captures (test/support/stack-traces.ts)", () => {
    const source = readFileSync(join(repoRoot, "test", "project.test.ts"), "utf8").split("\n");
    const lineOf = (marker: string) => source.findIndex((line) => line.includes(marker)) + 1;
    expect(new Error("a failed check").stack).toContain(`project.test.ts:${lineOf('new Error("a failed check")')}:`);
    // The SDK's own errors keep their frames: where a test read a missing config value, say.
    const missing = ((): Error | undefined => {
      try {
        new pulumi.Config("llm-platform-stack-trace-check").require("absent");
        return undefined;
      } catch (error) {
        return error as Error;
      }
    })();
    expect(missing?.stack).toContain(`project.test.ts:${lineOf('.require("absent")')}:`);
    // The SDK reads its callers' positions from a captured stack; under the mocks nothing uses them.
    expect((pulumi.Resource as unknown as { callsites(): unknown[] }).callsites()).toEqual([]);
  });
});
