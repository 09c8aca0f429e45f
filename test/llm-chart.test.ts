import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { imageKeys } from "../components/serving/values";
import { images } from "../components/versions";
import { helm, lintChart, renderChart, servingChartPath } from "./support/helm";
import { validateManifest } from "./support/kube-models";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every chart-testing values file, `ci/<name>-values.yaml`: a new file is linted and rendered without editing this test. */
const ciFiles = readdirSync(join(servingChartPath, "ci")).filter((file) => file.endsWith("-values.yaml")).map((file) => file.slice(0, -"-values.yaml".length)).sort();

const ciValues = (file: string): Obj => parse(readFileSync(join(servingChartPath, "ci", `${file}-values.yaml`), "utf8")) as Obj;

/** The dev ci values with one change applied. */
function devWith(change: (values: Obj) => void): Obj {
  const values = ciValues("dev");
  change(values);
  return values;
}

/** The CPU (llama.cpp) ci values with one change applied. */
function cpuWith(change: (values: Obj) => void): Obj {
  const values = ciValues("cpu");
  change(values);
  return values;
}

describe("the llm-serving chart", () => {
  it("has chart-testing values files for the GPU (dev, prod) and CPU engines", () => {
    expect(ciFiles).toEqual(expect.arrayContaining(["cpu", "dev", "prod"]));
  });

  it.each(ciFiles)("passes helm lint --strict with ci/%s-values.yaml", (file) => {
    const run = lintChart(ciValues(file));
    expect(run.ok, run.stdout + run.stderr).toBe(true);
  });

  it("defaults to the engine images pinned in components/versions.ts", () => {
    const defaults = parse(readFileSync(join(servingChartPath, "values.yaml"), "utf8")) as Obj;
    expect(defaults.engine).toBe("vllm");
    expect(defaults.image).toMatchObject(imageKeys(images.vllm));
    expect(defaults.llamacpp.image).toMatchObject(imageKeys(images.llamacppServer));
    expect(ciValues("cpu").llamacpp.image).toMatchObject(imageKeys(images.llamacppServer));
  });

  it("refuses clusters older than 1.30, where the pods' preStop sleep does not exist", () => {
    const template = (version: string) => helm(["template", "t", servingChartPath, "--kube-version", version], ciValues("dev"));
    expect(template("1.29.9").stderr).toMatch(/incompatible with Kubernetes v1\.29\.9/);
    expect(template("1.30.0").ok).toBe(true);
    const rendered = renderChart(ciValues("dev")).find((object) => object.kind === "Deployment") as Obj;
    expect(rendered.spec.template.spec.containers[0].lifecycle.preStop).toHaveProperty("sleep");
  });

  it("streams with one buffer per GPU worker, distributed across workers only when there are several", () => {
    const streamerConfig = (gpus: number) => {
      const values = devWith((v) => ((v.modelStreamer = { enabled: true, uri: "s3://models-bucket/m", memoryLimitMiB: 4096 }), (v.gpu.count = gpus)));
      const deployment = renderChart(values).find((object) => object.kind === "Deployment") as Obj;
      const args = deployment.spec.template.spec.containers[0].args as string[];
      return JSON.parse(args[args.indexOf("--model-loader-extra-config") + 1]!) as Obj;
    };
    expect(streamerConfig(1)).toEqual({ concurrency: 16, memory_limit: 4096 * 2 ** 20 });
    expect(streamerConfig(2)).toEqual({ concurrency: 16, memory_limit: 4096 * 2 ** 20, distributed: true });
  });

  it("fails a bare lint: it never renders a server without a model or an API key", () => {
    const run = lintChart();
    expect(run.ok).toBe(false);
    expect(run.stdout + run.stderr).toMatch(/model\/name/);
  });

  it.each(ciFiles)("renders ci/%s-values.yaml into manifests valid against the upstream schemas", (file) => {
    const objects = renderChart(ciValues(file));
    expect(objects.length).toBeGreaterThanOrEqual(6);
    for (const object of objects) validateManifest(object);
  });
});

// Each row: what a user got wrong, the values, and the words helm's error must contain.
const rejected: [string, Obj, RegExp][] = [
  ["a negative GPU count", devWith((v) => (v.gpu.count = -1)), /\/gpu\/count.*minimum: got -1, want 1/],
  ["a fractional GPU count", devWith((v) => (v.gpu.count = 1.5)), /\/gpu\/count/],
  ["a missing model", devWith((v) => delete v.model.name), /\/model\/name.*minLength/],
  ["an unknown top-level key", devWith((v) => (v.gpus = 2)), /additional properties 'gpus' not allowed/],
  ["an unknown nested key", devWith((v) => (v.gpu.cnt = 2)), /\/gpu.*additional properties 'cnt' not allowed/],
  ["GPUs put in resources", devWith((v) => (v.resources.limits["nvidia.com/gpu"] = 1)), /additional properties 'nvidia.com\/gpu' not allowed/],
  ["the latest image tag", devWith((v) => (v.image = { tag: "latest" })), /\/image\/tag/],
  ["a missing API key Secret", devWith((v) => delete v.apiKey.existingSecret), /existingSecret/],
  ["a loader source that is not a bucket", devWith((v) => (v.modelLoader = { enabled: true, source: "https://x.io/m" })), /\/modelLoader\/source/],
  [
    "one ReadWriteOnce cache for several pods",
    devWith((v) => (v.cache = { persistence: { enabled: true, accessModes: ["ReadWriteOnce"] } })),
    /ReadWriteOnce.*cannot be shared by up to 2 pods/,
  ],
  ["autoscaling without a ServiceMonitor", devWith((v) => (v.serviceMonitor.enabled = false)), /needs serviceMonitor.enabled=true/],
  ["an ingress without a host", devWith((v) => (v.ingress = { enabled: true })), /ingress.host is required/],
  ["a GPU request on the CPU engine", cpuWith((v) => (v.gpu = { count: 1 })), /\/gpu\/count/],
  ["a CPU engine without a model file", cpuWith((v) => delete v.model.ggufFile), /\/model.*ggufFile/],
  ["a CPU engine with a model file that is not GGUF", cpuWith((v) => (v.model.ggufFile = "model.safetensors")), /\/model\/ggufFile/],
  ["an unknown engine", devWith((v) => (v.engine = "tgi")), /\/engine/],
  ["a streamed model with a Hub token", devWith((v) => ((v.modelStreamer = { enabled: true, uri: "s3://models-bucket/m" }), (v.hfToken = { existingSecret: "hf" }))), /hfToken.existingSecret must be empty with modelStreamer.enabled/],
  ["a streamed model that is also copied", devWith((v) => ((v.modelStreamer = { enabled: true, uri: "gs://models-bucket/m" }), (v.modelLoader = { enabled: true, source: "gs://models-bucket/m" }))), /exclude each other/],
  ["a streamed GGUF", cpuWith((v) => (v.modelStreamer = { enabled: true, uri: "s3://models-bucket/m" })), /needs engine=vllm/],
  ["a streamer URI that is not a bucket", devWith((v) => (v.modelStreamer = { enabled: true, uri: "https://hf.co/m" })), /\/modelStreamer\/uri/],
];

describe("helm refuses bad values with a message naming the key", () => {
  it.each(rejected)("%s", (_mistake, values, words) => {
    const run = helm(["template", "x", servingChartPath], values);
    expect(run.ok).toBe(false);
    expect(run.stderr).toMatch(words);
  });
});

describe("the llm-serving chart on the CPU engine (llama.cpp)", () => {
  const objects = renderChart(ciValues("cpu"));
  const of = (kind: string) => objects.find((object) => object.kind === kind) as Obj;
  const pod = of("Deployment").spec.template.spec;
  const server = pod.containers[0];

  it("runs the llama.cpp server with no GPU, no GPU toleration and no /dev/shm", () => {
    expect(server.name).toBe("llama-server");
    expect(server.image).toMatch(/^ghcr\.io\/ggml-org\/llama\.cpp:server-b\d+$/);
    expect(JSON.stringify(of("Deployment"))).not.toMatch(/nvidia\.com\/gpu|"shm"/);
    expect(pod.tolerations).toBeUndefined();
  });

  it("sets host, port, alias, metrics, context, threads and prompt cache explicitly, and the key through LLAMA_API_KEY", () => {
    expect(server.args).toEqual([
      "--hf-repo", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "--hf-file", "qwen2.5-0.5b-instruct-q4_k_m.gguf",
      "--host", "0.0.0.0", "--port", "8080", "--alias", "qwen2.5-0.5b", "--metrics", "--ctx-size", "4096", "--threads", "2",
      "--cache-ram", "256",
    ]);
    expect(server.env).toContainEqual({ name: "LLAMA_API_KEY", valueFrom: { secretKeyRef: { name: "llm-api-key", key: "api-key" } } });
    // Current builds download --hf-repo files to $HF_HOME/hub: on the cache volume.
    expect(server.env).toContainEqual({ name: "HF_HOME", value: "/models" });
  });

  it("loads the GGUF from the bucket copy, offline, when the model loader runs", () => {
    const loaded = renderChart(cpuWith((v) => (v.modelLoader = { enabled: true, source: "s3://models-bucket/models/qwen" })));
    const container = (loaded.find((object) => object.kind === "Deployment") as Obj).spec.template.spec.containers[0];
    const modelPath = container.args[container.args.indexOf("--model") + 1] as string;
    expect(modelPath).toMatch(/^\/models\/preloaded\/[0-9a-f]{16}\/qwen2\.5-0\.5b-instruct-q4_k_m\.gguf$/);
    expect(container.args).not.toContain("--hf-repo");
    expect(container.env).toContainEqual({ name: "LLAMA_ARG_OFFLINE", value: "1" });
  });

  it("scales on llama.cpp's queue of deferred requests", () => {
    const scaled = renderChart(cpuWith((v) => {
      v.autoscaling = { enabled: true, minReplicas: 1, maxReplicas: 2 };
      // Two pods cannot share one ReadWriteOnce cache: each gets its own.
      v.cache = { persistence: { enabled: false }, perPod: { type: "emptyDir", size: "2Gi" } };
    }));
    const scaledObject = scaled.find((object) => object.kind === "ScaledObject") as Obj;
    expect(scaledObject.spec.triggers[0].metadata.query).toBe('sum(llamacpp:requests_deferred{namespace="llm-serving", model_name="qwen2.5-0.5b"})');
  });
});
