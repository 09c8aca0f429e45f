import { z } from "zod";
import { dnsLabel } from "./common";
import type { ServedModelConfig } from "./models";

/**
 * A model's second version next to its stable one (canary or A/B): its own llm-serving release and
 * LLM API backend, sharing the model's name, so clients keep sending the same `model`. The AI gateway
 * sends `weight` percent of the model's requests to it; a request with the version header goes to
 * the version it names (components/ingress/ai-gateway-manifests.ts). Only what may differ between two
 * versions of one model is here; everything else (GPU pool, replicas, cache) is the stable's.
 */
export const stableVersion = dnsLabel
  .default("stable")
  .describe("Name of the version `model` serves: the `version` label of its metrics and the value of the x-llm-version header that pins a client to it.");

/** The canary's fields, around the model id schema of models.ts (which imports this file). */
export function canarySchema(modelId: z.ZodType<string>) {
  return z
    .strictObject({
      version: dnsLabel.describe("Name of this version, e.g. \"v2\": its release is `<name>-<version>`, its metrics carry version=\"<version>\", and x-llm-version: <version> pins a client to it."),
      weight: z
        .int({ error: "a whole percentage from 0 to 100" })
        .min(0)
        .max(100)
        .describe("Percent of the model's requests the canary gets; the stable version gets the rest. 100 promotes it, 0 rolls back while it stays deployed and reachable with x-llm-version."),
      model: modelId.optional().describe("The canary's Hugging Face model id or bucket path. Default: the stable's `model`."),
      ggufFile: z
        .string()
        .regex(/^\S+\.gguf$/, "a GGUF file name, e.g. qwen2.5-0.5b-instruct-q4_k_m.gguf")
        .optional()
        .describe("llamacpp only: the canary's GGUF file. Default: the stable's `ggufFile`."),
      maxModelLen: z.int().min(256).max(1_048_576).optional().describe("The canary's context length. Default: the stable's `maxModelLen`."),
      weightsGiB: z.number().positive().max(4096).optional().describe("Size of the canary's weights in GiB, for a model the project does not know. Default: the stable's `weightsGiB` when the model is the same."),
    })
    .describe("A second version of this model, served next to the stable one with a share of its traffic (canary or A/B test). Needs the Gateway front door (addons.ingress.implementation envoy-gateway). Default: none.");
}

/** The Helm release (and Service, LLM API backend) name of a model's version: the stable keeps the model's name. */
export const versionRelease = (model: string, version: string) => `${model}-${version}`;

/** One version of a model as a serving release: the model's config with the version's fields, without `canary`. */
export type ServedRelease = Omit<ServedModelConfig, "canary">;

export interface ModelRelease {
  /** The release's config; its `name` is the release name (`servedName` of the model is the model's `name`). */
  readonly release: ServedRelease;
  readonly version: string;
  /** Percent of the model's requests this version gets by weight. */
  readonly weight: number;
  readonly canary: boolean;
}

/**
 * A model's versions as serving releases: the stable one under the model's own name, then the canary
 * with the canary's fields over the stable's. Pure.
 */
export function modelReleases(model: ServedModelConfig): ModelRelease[] {
  const { canary, ...stable } = model;
  if (!canary) return [{ release: stable, version: model.version, weight: 100, canary: false }];
  const sameModel = canary.model === undefined || canary.model === model.model;
  const weightsGiB = canary.weightsGiB ?? (sameModel ? model.weightsGiB : undefined);
  const release: ServedRelease = {
    ...stable,
    name: versionRelease(model.name, canary.version),
    version: canary.version,
    model: canary.model ?? model.model,
    ...(canary.ggufFile !== undefined ? { ggufFile: canary.ggufFile } : {}),
    ...(canary.maxModelLen !== undefined ? { maxModelLen: canary.maxModelLen } : {}),
    // Another model's size is not the stable's: the catalog (or the canary's own weightsGiB) gives it.
    weightsGiB,
  };
  return [
    { release: stable, version: model.version, weight: 100 - canary.weight, canary: false },
    { release, version: canary.version, weight: canary.weight, canary: true },
  ];
}

/**
 * GPUs that every vLLM release on GPU pool `pool` holds at its most replicas, every model's and every
 * canary's: they may all run at once. The canary rule (rules.ts) and the rollout surge
 * (stacks/serving.ts) both count this way. Pure.
 */
export function poolGpuDemand(models: readonly ServedModelConfig[], pool: string): number {
  return models
    .filter((model) => model.gpuPool === pool && model.engine === "vllm")
    .flatMap(modelReleases)
    .reduce((sum, { release }) => sum + release.maxReplicas * release.gpuCount, 0);
}

/**
 * The canary's own rules; `fail(path, message)` reports under `models[i]`. `allReleases` names every
 * release of the stack (each model's and each canary's), so that a canary's release name cannot be
 * another model's.
 */
export function checkCanary(
  model: ServedModelConfig,
  context: { readonly gatewayFrontDoor: boolean; readonly releaseNames: readonly string[] },
  fail: (path: (string | number)[], message: string) => void,
): void {
  const { canary } = model;
  if (!canary) return;
  if (canary.version === model.version) {
    fail(["canary", "version"], `"${canary.version}" is also the stable version's name (models[].version): two versions of one model need two names, e.g. "v2"`);
  }
  // The canary's release would resolve the stable's registry reference and serve the same version.
  if (model.registry !== undefined) {
    fail(["canary"], `a model served from the registry (registry ${model.registry}) takes no canary here: serve the new version as a second model with its own registry reference, or move the alias`);
  }
  if (!context.gatewayFrontDoor) {
    fail(["canary"], "needs the Gateway front door (addons.ingress.enabled with implementation \"envoy-gateway\"): the LLM API's weighted route and its x-llm-version header split the traffic. ingress-nginx, retired upstream, is not given canaries here");
  }
  const release = versionRelease(model.name, canary.version);
  if (context.releaseNames.filter((name) => name === release).length > 1) {
    fail(["canary", "version"], `makes the release name "${release}", which another model (or canary) already has: pick another version name`);
  }
  if (model.engine === "vllm" && canary.ggufFile !== undefined) {
    fail(["canary", "ggufFile"], "only used with engine \"llamacpp\" (vLLM loads safetensors by model id); remove it");
  }
}
