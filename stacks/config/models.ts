import { z } from "zod";
import { dnsLabel, gibibytes, positiveInt } from "./common";

export const servedModel = z.strictObject({
  name: dnsLabel.describe("Release and route name, e.g. \"qwen-small\"."),
  model: z.string().min(1).regex(/^\S+$/, "a model id without spaces, e.g. Qwen/Qwen2.5-1.5B-Instruct").describe("Hugging Face model id or a path in the stack's bucket."),
  gpuPool: dnsLabel.describe("Name of the GPU pool (cluster.gpuPools[].name) the model runs on."),
  gpuCount: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]).default(1).describe("GPUs per replica; also the tensor-parallel size."),
  minReplicas: positiveInt.max(100).default(1),
  maxReplicas: positiveInt.max(100).default(1).describe("At most 100: more replicas of one model belong in another cluster."),
  maxModelLen: z.int().min(256).max(1_048_576).optional().describe("Maximum context length; vLLM's default is the model's own."),
  gpuMemoryUtilization: z.number().min(0.1).max(0.98).default(0.9),
  cacheGiB: gibibytes(5, 4096).default(50).describe("Weight cache per replica; must hold the model's weights (weightsGiB, or the bf16 size of a model listed in components/cloud-catalog.ts)."),
  weightsGiB: z.number().positive().max(4096).optional().describe("Size of the model's weights in GiB, for a model the project does not know; the cache must hold them."),
  requests: z
    .strictObject({
      cpu: z.number().positive().max(192),
      memoryGiB: z.number().positive().max(2048),
    })
    .optional()
    .describe("CPU and memory (GiB) one replica requests; limits are twice that. Default: 3 CPU and 12 GiB per GPU, which fits every GPU instance type. Must fit every instance type of the pool (EKS)."),
  weightsFrom: z
    .enum(["hub", "bucket"])
    .default("hub")
    .describe("\"hub\": vLLM downloads from Hugging Face. \"bucket\": an init step copies `<bucket>/models/<model>` with the cluster identity (EKS/GKE)."),
});

export const models = z.array(servedModel).default([]);

export type ServedModelConfig = z.infer<typeof servedModel>;
