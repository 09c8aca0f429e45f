import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { llmPipelineTemplate, notifyScript, validateParametersScript } from "../components/gitops/pipeline-templates";
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

const bucketUrl = "s3://llm-dev-models";
const valid = {
  DATASET_URI: "s3://llm-dev-models/datasets/support-chat/v3",
  BASE_MODEL: "Qwen/Qwen2.5-1.5B-Instruct",
  MODEL_NAME: "qwen-small",
  MODEL_VERSION: "2026-11-29.1",
  GPU_COUNT: "1",
  MAX_PERPLEXITY: "20",
  MODEL_ROOT: `${bucketUrl}/models`,
  SERVING_NAMESPACE: "llm-serving",
  BUCKET_MODELS: "qwen-small",
  HUB_MODELS: "qwen-hub",
  REGISTRY_MODELS: "",
};

type Template = { name: string; resource?: { action: string; mergeStrategy: string; flags: string[]; manifest: string }; [key: string]: unknown };
const pipeline = llmPipelineTemplate({
  namespace: "ml-pipelines",
  runnerServiceAccount: "pipeline-runner",
  deployerServiceAccount: "model-deployer",
  gpu: { nodeSelector: {}, tolerations: [] },
  bucketUrl,
  s3RemoteOptions: "provider=AWS,env_auth=true",
  servingNamespace: "llm-serving",
  servedModels: [{ name: "qwen-small", weightsFrom: "bucket" }, { name: "qwen-hub", weightsFrom: "hub" }],
  notifyOnFailure: true,
});
const templates = (pipeline.spec as { templates: Template[] }).templates;
const deploy = templates.find((t) => t.name === "deploy")!;

/** Runs validate-parameters with `env` over the valid set; its output parameters are files in a temp dir. */
function validate(env: Partial<Record<keyof typeof valid, string>>) {
  const dir = mkdtempSync(join(tmpdir(), "validate-step-"));
  const run = spawnSync("/bin/sh", ["-c", validateParametersScript.replaceAll("/tmp/", `${dir}/`)], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...valid, ...env },
  });
  const output = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : undefined);
  return { status: run.status, stderr: run.stderr, source: output("model-source"), dir: output("preloaded-dir"), deployable: output("deployable"), blocker: output("deploy-blocker") };
}

/** The patch Argo's executor hands kubectl, after Argo substitutes the validated outputs. */
function substitutedPatch(outputs: { source?: string; dir?: string }): PatchOp[] {
  const manifest = deploy.resource!.manifest
    .replaceAll("{{inputs.parameters.model-source}}", outputs.source!)
    .replaceAll("{{inputs.parameters.preloaded-dir}}", outputs.dir!);
  return JSON.parse(manifest) as PatchOp[];
}

describe("the pipeline's deploy step", () => {
  it("is Argo's resource template: a JSON patch of exactly the named Deployment in the serving namespace", () => {
    expect(deploy.resource).toMatchObject({ action: "patch", mergeStrategy: "json", flags: ["deployment", "{{workflow.parameters.model-name}}", "--namespace", "llm-serving"] });
    expect(deploy).not.toHaveProperty("container");
    expect(deploy).not.toHaveProperty("script");
  });

  it("patches a bucket-loaded Deployment into exactly what the chart renders for the new source (SOURCE, TARGET and vLLM's path)", () => {
    const outputs = validate({});
    expect(outputs.status, outputs.stderr).toBe(0);
    expect(outputs).toMatchObject({ source: newSource, deployable: "true", blocker: "" });
    const before = servingDeployment(oldSource);
    const after = applyJsonPatch(before, substitutedPatch(outputs));
    expect(after).toEqual(servingDeployment(newSource));
  });

  it("changes nothing when the Deployment's layout is not the chart's (the API server refuses the whole patch)", () => {
    const reordered = structuredClone(servingDeployment(oldSource));
    reordered.spec.template.spec.initContainers[0].env.reverse();
    expect(() => applyJsonPatch(reordered, substitutedPatch(validate({})))).toThrow(/test/);
  });

  it("runs deploy only for a bucket-loaded model of this stack, and otherwise explains why after training", () => {
    const hub = validate({ MODEL_NAME: "qwen-hub" });
    expect(hub.status, hub.stderr).toBe(0);
    expect(hub.deployable).toBe("false");
    expect(hub.blocker).toMatch(/models\[\] entry qwen-hub loads its weights from the Hugging Face Hub \(weightsFrom: hub\).*set weightsFrom: bucket/);
    expect(validate({ MODEL_NAME: "other" }).blocker).toMatch(/model-name other is not a models\[\]\.name of this stack \(qwen-small loaded from the bucket\)/);
    expect(validate({ SERVING_NAMESPACE: "", BUCKET_MODELS: "", HUB_MODELS: "" }).blocker).toMatch(/this stack serves no models \(models: \[\]\)/);
    // A model served from a registry reference follows its alias: the pipeline registers, never patches it.
    const registry = validate({ MODEL_NAME: "qwen-reg", REGISTRY_MODELS: "qwen-reg" });
    expect([registry.status, registry.deployable]).toEqual([0, "false"]);
    expect(registry.blocker).toMatch(/models\[\] entry qwen-reg serves a registry reference \(models\[\]\.registry\), which the pipeline does not patch: .*point the reference's alias at it/);
    const dag = (templates.find((t) => t.name === "pipeline")!.dag as { tasks: { name: string; when?: string }[] }).tasks;
    expect(dag.filter((t) => t.when).map((t) => [t.name, t.when])).toEqual([
      ["deploy", "{{tasks.validate-parameters.outputs.parameters.deployable}} == true"],
      ["explain-no-deploy", "{{tasks.validate-parameters.outputs.parameters.deployable}} == false"],
    ]);
  });

  it.each([
    ["MODEL_VERSION", '1","op":"remove","path":"/spec'],
    ["MODEL_VERSION", "1\nx"],
    ["MODEL_VERSION", "../../other"],
    ["MODEL_NAME", "Qwen-Small"],
    ["MODEL_NAME", "qwen-small --all"],
    ["DATASET_URI", "s3://bucket/a b"],
    ["DATASET_URI", "https://example.com/data"],
    ["BASE_MODEL", "Qwen/Qwen2.5'; rm -rf /"],
    ["GPU_COUNT", "0"],
    ["MAX_PERPLEXITY", "1e9"],
  ] as const)("refuses %s = %j before anything runs, writing no output", (key, value) => {
    const run = validate({ [key]: value });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^validate-parameters: parameter [a-z-]+ is not /);
    expect(run.source).toBeUndefined();
  });
});

describe("the failure notice", () => {
  it("is valid JSON for Slack and Discord whatever the parameters hold", () => {
    const dir = mkdtempSync(join(tmpdir(), "notify-step-"));
    writeFileSync(join(dir, "curl"), '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = --data ] && printf %s "$2" > "$OUT"; shift; done\n');
    chmodSync(join(dir, "curl"), 0o755);
    const message = 'LLM pipeline p-1 ended Failed (model a"b\\c\td version 1",\n"x":"y)';
    const run = spawnSync("/bin/sh", ["-c", notifyScript], {
      encoding: "utf8",
      env: { PATH: `${dir}:${process.env.PATH ?? ""}`, OUT: join(dir, "body"), MESSAGE: message, WEBHOOK_URL: "https://hooks.example.com/x" },
    });
    expect(run.status, run.stderr).toBe(0);
    const body = JSON.parse(readFileSync(join(dir, "body"), "utf8")) as Record<string, string>;
    expect(Object.keys(body)).toEqual(["text", "content"]);
    expect(body.text).toBe('LLM pipeline p-1 ended Failed (model a"b\\c d version 1", "x":"y)');
    expect(body.content).toBe(body.text);
  });
});
