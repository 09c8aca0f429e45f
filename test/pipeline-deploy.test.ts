import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deployScript } from "../components/gitops/pipeline-templates";
import { servingValues, type ServedModel } from "../components/serving/values";
import { renderChart } from "./support/helm";
import { applyJsonPatch, type PatchOp } from "./support/json-patch";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const model: ServedModel = {
  name: "qwen-small",
  engine: "vllm",
  model: "Qwen/Qwen2.5-1.5B-Instruct",
  gpuCount: 1,
  minReplicas: 1,
  maxReplicas: 1,
  gpuMemoryUtilization: 0.9,
  cacheGiB: 50,
  weightsFrom: "bucket",
};
const oldSource = "s3://llm-dev-models/models/Qwen/Qwen2.5-1.5B-Instruct";
const newSource = "s3://llm-dev-models/models/qwen-small/2026-11-29.1";

/** The serving Deployment as the llm-serving chart renders it, with the loader copying `source` (or none). */
function servingDeployment(source: string | undefined): Obj {
  const values = servingValues({
    model: { ...model, weightsFrom: source === undefined ? "hub" : "bucket" },
    scheduling: { nodeSelector: { "llm-platform.io/gpu-pool": "l4" }, tolerations: [] },
    storageClassName: "gp3",
    apiKeySecret: "llm-api-key",
    serviceAccountAnnotations: {},
    ...(source === undefined ? {} : { modelSource: source }),
  });
  return renderChart(values).find((object) => object.kind === "Deployment")!;
}

interface DeployRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The JSON patch deploy sent, if it got that far. */
  patch: PatchOp[] | undefined;
  curlCalls: number;
}

/** Runs the deploy step's script with a stub curl that answers GET with `deployment` and records the PATCH. */
function runDeploy(deployment: Obj | undefined, env: Record<string, string>): DeployRun {
  const dir = mkdtempSync(join(tmpdir(), "deploy-step-"));
  const realCat = existsSync("/bin/cat") ? "/bin/cat" : "/usr/bin/cat";
  const stub = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  if (deployment) writeFileSync(join(dir, "deployment.json"), JSON.stringify(deployment));
  stub("cat", `case "$1" in */token) echo test-token ;; *) exec ${realCat} "$@" ;; esac`);
  stub("curl", [
    'echo call >> "$STUB_DIR/calls"',
    "patch=0; data=''",
    'while [ $# -gt 0 ]; do case "$1" in --data) data=$2; shift ;; -X) [ "$2" = PATCH ] && patch=1; shift ;; esac; shift; done',
    `if [ $patch = 1 ]; then printf '%s' "$data" > "$STUB_DIR/patch"; printf '{}\\n200'; exit 0; fi`,
    `if [ -f "$STUB_DIR/deployment.json" ]; then ${realCat} "$STUB_DIR/deployment.json"; printf '\\n200'; else printf '{"kind":"Status"}\\n404'; fi`,
  ].join("\n"));
  const run = spawnSync("/bin/sh", ["-c", deployScript], {
    encoding: "utf8",
    env: { PATH: `${dir}:${process.env.PATH ?? ""}`, STUB_DIR: dir, DEPLOYMENT: "qwen-small", MODEL_SOURCE: newSource, NAMESPACE: "llm-serving", ...env },
  });
  const patchFile = join(dir, "patch");
  const calls = join(dir, "calls");
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    patch: existsSync(patchFile) ? (JSON.parse(readFileSync(patchFile, "utf8")) as PatchOp[]) : undefined,
    curlCalls: existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean).length : 0,
  };
}

describe("the pipeline's deploy step", () => {
  it("patches a bucket-loaded Deployment into exactly what the chart renders for the new source (SOURCE, TARGET and vLLM's path)", () => {
    const before = servingDeployment(oldSource);
    const run = runDeploy(before, {});
    expect(run.status, run.stderr).toBe(0);
    const after = applyJsonPatch(before, run.patch!);
    const expected = servingDeployment(newSource);
    const loader = (d: Obj) => d.spec.template.spec.initContainers[0];
    expect(loader(after).env).toEqual(loader(expected).env);
    expect(after.spec.template.spec.containers[0].args[0]).toBe(loader(expected).env.find((e: Obj) => e.name === "TARGET").value);
    expect(after).toEqual(expected);
    expect(run.stdout).toContain(`now serves ${newSource}`);
  });

  it("changes nothing when the Deployment does not have the chart's layout (the API server refuses the whole patch)", () => {
    const before = servingDeployment(oldSource);
    const run = runDeploy(before, {});
    const reordered = structuredClone(before);
    reordered.spec.template.spec.initContainers[0].env.reverse();
    expect(() => applyJsonPatch(reordered, run.patch!)).toThrow(/test/);
  });

  it("fails before patching, saying why, when the model is loaded from the Hub (no model loader)", () => {
    const run = runDeploy(servingDeployment(undefined), {});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/deploy: models\[\] entry qwen-small loads its weights from the Hugging Face Hub \(weightsFrom: hub\).*set weightsFrom: bucket/);
    expect(run.patch).toBeUndefined();
  });

  it("fails with the HTTP status when the Deployment does not exist", () => {
    const run = runDeploy(undefined, {});
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cannot read Deployment llm-serving\/qwen-small \(HTTP 404\); model-name must be a models\[\]\.name/);
  });

  it("fails without calling the API when the stack serves no models", () => {
    const run = runDeploy(servingDeployment(oldSource), { NAMESPACE: "" });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/this stack serves no models \(models: \[\]\)/);
    expect(run.curlCalls).toBe(0);
  });
});
