import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { repoRoot } from "./support/synth";

const scratch = mkdtempSync(join(tmpdir(), "synth-cli-"));
const synth = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "synth.ts"), ...args], { cwd: repoRoot, encoding: "utf8" });

describe("npm run synth -- --stack dev", () => {
  const out = join(scratch, "dev");
  let run: ReturnType<typeof synth>;
  beforeAll(() => {
    run = synth("--stack", "dev", "--out", out);
  });

  it("exits 0 and prints resource counts per type and the graph depth", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/stack dev: \d+ resources, \d+ manifests, dependency depth \d+/);
    expect(run.stdout).toMatch(/^\s+\d+\s+kubernetes:core\/v1:Namespace$/m);
  });

  it("writes resources.json with exactly the contract's fields", () => {
    const resources = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as Record<string, unknown>[];
    expect(resources.length).toBeGreaterThan(0);
    const urns = new Set(resources.map((r) => r.urn));
    for (const resource of resources) {
      expect(Object.keys(resource).sort()).toEqual(["custom", "dependsOn", "inputs", "name", "parent", "protect", "provider", "type", "urn"]);
      expect(resource.urn).toMatch(/^urn:pulumi:dev::llm-platform::/);
      expect(typeof resource.custom).toBe("boolean");
      expect(typeof resource.protect).toBe("boolean");
      expect(resource.parent === null || urns.has(resource.parent)).toBe(true);
      expect(resource.provider === null || urns.has(resource.provider)).toBe(true);
      for (const dependency of resource.dependsOn as string[]) expect(urns.has(dependency), dependency).toBe(true);
    }
  });

  it("writes outputs.json with secrets redacted", () => {
    const outputs = JSON.parse(readFileSync(join(out, "outputs.json"), "utf8")) as Record<string, unknown>;
    expect(outputs.kubeconfig).toBe("[secret]");
    expect(outputs.clusterName).toBe("llm-dev");
  });

  it("holds no secret in plaintext in any file it writes", () => {
    const files = ["resources.json", "outputs.json", ...readdirSync(join(out, "manifests")).map((f) => join("manifests", f))];
    for (const file of files) {
      const text = readFileSync(join(out, file), "utf8");
      expect(text, file).not.toMatch(/synth-placeholder-secret|mock-password-|mockbcrypthash/);
    }
  });

  it("writes one YAML manifest per Kubernetes object", () => {
    const files = readdirSync(join(out, "manifests"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const documents = parseAllDocuments(readFileSync(join(out, "manifests", file), "utf8"));
      expect(documents).toHaveLength(1);
      const object = documents[0]!.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
      expect(object.apiVersion).toBeTruthy();
      expect(object.kind).toBeTruthy();
      expect(object.metadata.name).toBeTruthy();
    }
  });
});

describe("synth of an invalid stack file", () => {
  const out = join(scratch, "broken");
  let run: ReturnType<typeof synth>;
  beforeAll(() => {
    const stack = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const cluster = stack.config["llm-platform:cluster"] as { gpuPools: Record<string, unknown>[] };
    cluster.gpuPools[0]!.maxSize = -2;
    stack.config["llm-platform:adons"] = { ingress: { enabled: false } };
    const file = join(scratch, "Pulumi.broken.yaml");
    writeFileSync(file, stringify(stack));
    run = synth("--stack", "broken", "--config-file", file, "--out", out);
  });

  it("exits non-zero with one key-path message per problem", () => {
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("llm-platform:cluster.gpuPools[0].maxSize: got -2; must be >= 1");
    expect(run.stderr).toContain('llm-platform:adons: unknown key; did you mean "addons"?');
    expect(run.stderr).not.toMatch(/\bat .+\.ts:\d+/);
  });

  it("writes nothing", () => {
    expect(existsSync(out)).toBe(false);
  });
});

describe("npm run synth -- --stack prod --preview", () => {
  it("synthesizes as the preview of a new stack: computed values, so the kubeconfig, are unknown", () => {
    const out = join(scratch, "prod-preview");
    const run = synth("--stack", "prod", "--preview", "--out", out);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const outputs = JSON.parse(readFileSync(join(out, "outputs.json"), "utf8")) as Record<string, unknown>;
    expect(outputs).toMatchObject({ kubeconfig: "[unknown]", bucketName: "[unknown]", clusterName: "llm-prod" });
  });
});
