import { z } from "zod";
import { modelLimits } from "../../components/serving/values";
import { canarySchema, stableVersion } from "./canary";
import { dnsLabel, gibibytes, nonNegativeInt, numberNotQuantity, positiveInt } from "./common";
import { modelDrift, modelEvaluation, modelRegistry } from "./lifecycle";

/**
 * Why `value` is neither a Hugging Face model id nor a path under the bucket's models/ folder, or
 * undefined. vLLM and llama.cpp take the id as a repository name: a URL or shell syntax fails there.
 */
export function modelIdProblem(value: string): string | undefined {
  const hubUrl = /^https?:\/\/(?:[^/@]*@)?(?:www\.)?(?:huggingface\.co|hf\.co)\/([^?#]+)/.exec(value);
  if (hubUrl) {
    const id = hubUrl[1]!.replace(/\/(tree|resolve|blob)\/.*$/, "").replace(/\/+$/, "");
    return `a model id, not the model's web address: did you mean "${id}"?`;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return "a Hugging Face model id (org/name) or, with weightsFrom: bucket, a path under the bucket's models/ folder; not a URL";
  }
  if (!/^\S+$/.test(value)) return "a model id without spaces, e.g. Qwen/Qwen2.5-1.5B-Instruct";
  if (value.length > 200) return "a model id of at most 200 characters";
  if (!value.split("/").every((segment) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment))) {
    return "a model id such as Qwen/Qwen2.5-1.5B-Instruct: parts of letters, digits, '.', '_' and '-' separated by '/', each starting with a letter or digit";
  }
  return undefined;
}

/** A Hugging Face model id or a path in the bucket, checked by modelIdProblem. */
const modelId = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const problem = modelIdProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
  });

export const servedModel = z.strictObject({
  name: dnsLabel.describe("Release and route name, e.g. \"qwen-small\"."),
  engine: z
    .enum(["vllm", "llamacpp"])
    .default("vllm")
    .describe("\"vllm\": vLLM on a GPU pool. \"llamacpp\": the llama.cpp server on CPU, serving one GGUF file (no GPU needed; the local stack's default)."),
  model: modelId.describe("Hugging Face model id or a path in the stack's bucket; for llamacpp the Hub repository holding the GGUF file. With `registry`: the base model its versions were trained from, which sizes the cache and load budgets."),
  registry: modelRegistry,
  ggufFile: z
    .string()
    .regex(/^\S+\.gguf$/, "a GGUF file name, e.g. qwen2.5-0.5b-instruct-q4_k_m.gguf")
    .optional()
    .describe("llamacpp only, required there: the GGUF file in `model` to serve."),
  threads: positiveInt.max(256).optional().describe("llamacpp only: CPU threads (--threads), at most the replica's CPU limit (twice requests.cpu). Default: that limit; llama.cpp itself would count the node's cores."),
  gpuPool: dnsLabel.optional().describe("vllm only, required there: name of the GPU pool (cluster.gpuPools[].name) the model runs on."),
  gpuCount: z.literal([1, 2, 4, 8]).default(1).describe("vllm: GPUs per replica; also the tensor-parallel size. Ignored by llamacpp."),
  minReplicas: nonNegativeInt.max(100).default(1).describe("0 lets the model scale to zero when idle (KEDA): its GPU node can go, and the first request after idle gets 503 until a replica has started (see docs/serving.md). Needs the ingress and monitoring add-ons."),
  maxReplicas: positiveInt.max(100).default(1).describe("At most 100: more replicas of one model belong in another cluster."),
  maxModelLen: z.int({ error: numberNotQuantity("a number of tokens such as 131072 (for 128k)") }).min(256).max(1_048_576).optional().describe("Maximum context length (vLLM --max-model-len, llama.cpp --ctx-size); vllm default: the model's own; required with llamacpp, which would size its KV cache for the model's whole trained context."),
  gpuMemoryUtilization: z.number().min(0.1).max(0.98).default(0.9),
  cacheGiB: gibibytes(1, 4096).default(50).describe("Weight cache per replica; must hold the model's weights (weightsGiB, or the bf16 size of a model listed in components/cloud-catalog.ts)."),
  weightsGiB: z.number().positive().max(4096).optional().describe("Size of the model's weights in GiB, for a model the project does not know; the cache must hold them."),
  requests: z
    .strictObject({
      cpu: z.number({ error: numberNotQuantity("CPU cores such as 0.5 (for 500m)") }).positive().max(192),
      memoryGiB: z.number({ error: numberNotQuantity("GiB such as 12 (for 12Gi)") }).positive().max(2048),
    })
    .optional()
    .describe("CPU and memory (GiB) one replica requests; limits are twice that. Default: vllm 3 CPU and 12 GiB per GPU, which fits every GPU instance type; llamacpp 1 CPU and 1 GiB. Must fit every instance type of the pool (EKS)."),
  weightsFrom: z
    .enum(["hub", "bucket"])
    .default("hub")
    .describe("\"hub\": the engine downloads from Hugging Face. \"bucket\": weights come from `<bucket>/models/<model>` with the cluster identity (EKS/GKE), as `bucketLoad` says."),
  bucketLoad: z
    .enum(["copy", "stream"])
    .default("copy")
    .describe("weightsFrom bucket only. \"copy\": an init step copies the weights into the cache, then the engine loads them from disk (the pipeline's deploy step repoints this copy). \"stream\" (vllm only): vLLM's Run:ai streamer reads the safetensors from the bucket straight into GPU memory, with no copy and no Hub token."),
  streamerConcurrency: positiveInt.max(256).default(16).describe("bucketLoad stream: parallel reads of the Run:ai streamer (its own default for object storage is 8)."),
  loadThroughputMiBps: z
    .number()
    .positive()
    .max(100_000)
    .optional()
    .describe("MiB/s the weights reach the GPUs at, when you have measured it. Default: 2000 when streamed from the bucket; otherwise the lower of the source (Hub 200, bucket 2000) and the cache volume's throughput. Sizes the startup probe, the rollout deadline and the release timeout."),
  // Canary and A/B rollouts (stacks/config/canary.ts).
  version: stableVersion,
  canary: canarySchema(modelId).optional(),
  drift: modelDrift,
  evaluation: modelEvaluation,
});

export const models = z.array(servedModel).default([]);

export type ServedModelConfig = z.infer<typeof servedModel>;

/**
 * The fields that only make sense for the other engine, named so that a stack file mixing them up
 * fails with the key to remove. `fail(key, message)` reports at `models[i].<key>`.
 */
export function checkModelEngine(model: ServedModelConfig, fail: (key: string, message: string) => void): void {
  if (model.engine === "llamacpp") {
    if (model.gpuPool !== undefined) {
      fail("gpuPool", `"${model.gpuPool}" is set, but engine "llamacpp" runs on CPU and never takes a GPU; remove gpuPool, or use engine "vllm"`);
    }
    if (model.bucketLoad === "stream") {
      fail("bucketLoad", "\"stream\" is vLLM's Run:ai streamer, which reads safetensors; llama.cpp loads one GGUF file: use \"copy\"");
    }
    if (model.ggufFile === undefined) {
      fail("ggufFile", `required with engine "llamacpp": the GGUF file in "${model.model}" to serve, e.g. qwen2.5-0.5b-instruct-q4_k_m.gguf`);
    }
    // Unset, llama.cpp sizes its KV cache for the model's whole trained context (32k to 128k tokens),
    // which a CPU replica's memory limit rarely holds.
    if (model.maxModelLen === undefined) {
      fail("maxModelLen", `required with engine "llamacpp": the context (--ctx-size) its KV cache is sized for, e.g. 4096; unset, llama.cpp takes the model's whole trained context, which may not fit the replica's ${modelLimits(model).memoryGiB} GiB memory limit`);
    }
    // More threads than the CPU limit allows only take turns: the kernel throttles them and decoding slows down.
    const cpuLimit = modelLimits(model).cpu;
    if (model.threads !== undefined && model.threads > cpuLimit) {
      fail("threads", `${model.threads} is more than the replica's CPU limit (${cpuLimit}, twice requests.cpu); lower threads, or raise requests.cpu to at least ${model.threads / 2}`);
    }
    return;
  }
  if (model.bucketLoad === "stream" && model.weightsFrom !== "bucket") {
    fail("bucketLoad", "\"stream\" reads the weights from the stack's bucket: set weightsFrom: bucket (and put the weights under <bucket>/models/<model>), or remove bucketLoad");
  }
  if (model.ggufFile !== undefined) fail("ggufFile", "only used with engine \"llamacpp\" (vLLM loads safetensors by model id); remove it, or set engine: llamacpp");
  if (model.threads !== undefined) fail("threads", "only used with engine \"llamacpp\"; remove it, or set engine: llamacpp");
}
