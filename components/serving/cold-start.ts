/**
 * How long a serving pod takes to start, and the budgets derived from it: the startup probe, the
 * Deployment's progress deadline and the Helm release timeout. One table of figures, shared by the
 * chart values (components/serving/values.ts), the config rules (stacks/config/rules.ts) and the
 * report (scripts/lib/deploy-time), so that the budgets and the modeled cold start never disagree.
 * `published` figures name their source; `assumption` ones say why.
 */

export interface Figure {
  readonly value: number;
  readonly source: string;
}

const published = (value: number, source: string): Figure => ({ value, source });
const assumed = (value: number, source: string): Figure => ({ value, source: `assumption: ${source}` });

export const coldStartFigures = {
  /** Seconds from a pending pod to a schedulable GPU node on a pool at zero. */
  nodeFromZero: assumed(300, "cluster-autoscaler reacts in ~30 s, the instance boots and joins as a managed node group does (1.3–2 min published), then the NVIDIA device plugin registers the GPUs"),
  /** The vLLM image: compressed download, then extraction onto the node's root volume. */
  imageCompressedGB: published(12, "vLLM images are ~12 GB compressed"),
  imageExtractedGiB: assumed(24, "about twice the compressed size once extracted (CUDA and PyTorch libraries)"),
  imageDownloadMBps: assumed(150, "parallel layer downloads from the registry to a GPU instance in the same region; with a 125 MiB/s root volume the model gives 4.6 min, within the published 4–6 min for 15–20 GB pulls on AWS"),
  /** gp3's baseline; what a node's root volume and a cache volume do without provisioned throughput. */
  gp3BaselineMiBps: published(125, "EBS gp3 baseline throughput (up to 2,000 MiB/s provisioned since September 2025)"),
  /** Weights from the Hugging Face Hub, before the cache volume's own limit. */
  hubDownloadMiBps: assumed(200, "Hugging Face Hub (CDN) to one pod; a 70B model cold-starts in 15–20 min uncached (KServe figures) at the gp3 baseline"),
  /** Weights streamed from the stack's bucket (same region) by the Run:ai streamer, when the model sets no rate. */
  bucketStreamMiBps: published(2000, "Run:ai streamer loads Llama-3-8B (15 GB) in 4.9 s from same-region S3 (~3 GiB/s); 2000 MiB/s taken conservatively"),
  /** The one-time copy of Hub weights into the bucket (weights-sync.ts): from a node's disk to a same-region bucket. */
  bucketUploadMiBps: assumed(400, "rclone uploading 8 files at once, each in parallel parts, from a node to a bucket in its region; far below S3's and GCS's per-prefix limits"),
  /** After the weights are in GPU memory: KV cache profiling, torch.compile and CUDA graph capture. */
  engineStartSeconds: assumed(120, "vLLM engine start after loading: memory profiling, torch.compile (a new pod has no compile cache) and CUDA graph capture"),
} as const;

/** The startup probe allows this much more than the modeled load, and never less than `minStartupSeconds`. */
export const budgetMargin = 1.5;
/** vLLM's own guidance: about 10 minutes (failureThreshold 60 × 10 s). A short probe restarts a slow but healthy load. */
export const minStartupSeconds = 600;
/** The longest Helm may wait for a serving release; beyond it the config is refused instead of rolling back later. */
export const maxReleaseTimeoutSeconds = 3600;
/** The startup probe's period; the budget is rounded up to it. */
export const startupProbePeriodSeconds = 10;

/**
 * How a model's weights reach the GPUs: downloaded from the Hub into the cache volume, copied from
 * the bucket into it first (the model loader), or streamed from the bucket into GPU memory.
 */
export type WeightsPath = "hub" | "bucket-copy" | "bucket-stream";

/** Where a model's weights come from and how fast they reach the GPUs. */
export interface LoadPlan {
  readonly weightsGiB: number;
  /** Where `weightsGiB` comes from, for messages and the report. */
  readonly weightsSource: string;
  readonly path: WeightsPath;
  readonly throughputMiBps: number;
  readonly throughputSource: string;
}

/** GiB a model of unknown size is assumed to have: an 8B-class model in bf16. */
export const unknownWeightsGiB = assumed(16, "an 8B-class model in bf16");

export interface LoadPlanInput {
  readonly path: WeightsPath;
  /** The model's configured size (`models[].weightsGiB`). */
  readonly weightsGiB?: number;
  /** The catalog's bf16 size of the model id, when it is listed. */
  readonly catalogWeightsGiB?: number;
  /** `models[].loadThroughputMiBps`: overrides the derived rate. */
  readonly loadThroughputMiBps?: number;
  /** Throughput of the cache volume downloads and copies are written to. @default gp3's baseline */
  readonly cacheVolumeMiBps?: number;
}

/** The load plan of a model from its config: size, path and the rate its weights arrive at. */
export function loadPlan(input: LoadPlanInput): LoadPlan {
  const weightsGiB = input.weightsGiB ?? input.catalogWeightsGiB ?? unknownWeightsGiB.value;
  const weightsSource = input.weightsGiB !== undefined ? "models[].weightsGiB" : input.catalogWeightsGiB !== undefined ? "bf16 size from the model catalog" : unknownWeightsGiB.source;
  const plan = (throughputMiBps: number, throughputSource: string): LoadPlan => ({ weightsGiB, weightsSource, path: input.path, throughputMiBps, throughputSource });
  if (input.loadThroughputMiBps !== undefined) return plan(input.loadThroughputMiBps, "models[].loadThroughputMiBps");
  const stream = coldStartFigures.bucketStreamMiBps;
  if (input.path === "bucket-stream") return plan(stream.value, `Run:ai streamer from the bucket (${stream.source})`);
  // Downloads and copies are written to the cache volume first, so its throughput caps them.
  const cache = input.cacheVolumeMiBps ?? coldStartFigures.gp3BaselineMiBps.value;
  const network = input.path === "hub" ? coldStartFigures.hubDownloadMiBps : stream;
  const what = input.path === "hub" ? "Hub download" : "copy from the bucket";
  return cache < network.value
    ? plan(cache, `${what} written to a cache volume of ${cache} MiB/s`)
    : plan(network.value, `${what} (${network.source})`);
}

/** Seconds for the weights to reach the GPUs at the plan's rate. */
export const weightsTransferSeconds = (plan: LoadPlan) => (plan.weightsGiB * 1024) / plan.throughputMiBps;

/** Seconds from container start to a healthy server: weights, then the engine's own start. */
export const modeledLoadSeconds = (plan: LoadPlan) => weightsTransferSeconds(plan) + coldStartFigures.engineStartSeconds.value;

/** Seconds to pull the vLLM image onto a node whose root volume writes at `rootVolumeMiBps`. */
export function imagePullSeconds(rootVolumeMiBps: number = coldStartFigures.gp3BaselineMiBps.value): number {
  const download = (coldStartFigures.imageCompressedGB.value * 1000) / coldStartFigures.imageDownloadMBps.value;
  const extract = (coldStartFigures.imageExtractedGiB.value * 1024) / rootVolumeMiBps;
  return download + extract;
}

const roundUp = (seconds: number, step: number) => Math.ceil(seconds / step) * step;

export interface ServingBudgets {
  /** The startup probe's budget: failureThreshold × period. */
  readonly startupSeconds: number;
  readonly startupFailureThreshold: number;
  /** The Deployment's progressDeadlineSeconds: one pod from nothing (a node from zero, the image, the load). */
  readonly progressDeadlineSeconds: number;
  /** The Helm release timeout: one pod after the other, as a rollout replaces them. */
  readonly releaseTimeoutSeconds: number;
}

/**
 * The three budgets of a release, from its load plan: the probe covers the load with a margin; the
 * progress deadline adds a node from zero and an image pull on a baseline root volume to it; the
 * release timeout allows that once per replica a rollout replaces. Each contains the one before.
 */
export function servingBudgets(plan: LoadPlan, maxReplicas: number): ServingBudgets {
  const startupSeconds = roundUp(Math.max(minStartupSeconds, budgetMargin * modeledLoadSeconds(plan)), startupProbePeriodSeconds);
  const progressDeadlineSeconds = roundUp(startupSeconds + coldStartFigures.nodeFromZero.value + imagePullSeconds(), 60);
  return {
    startupSeconds,
    startupFailureThreshold: startupSeconds / startupProbePeriodSeconds,
    progressDeadlineSeconds,
    releaseTimeoutSeconds: Math.max(1, maxReplicas) * progressDeadlineSeconds,
  };
}

/** GiB the weights sync's download volume holds: the weights, 10% for the files beside them, and 2 GiB. */
export const hubSyncDownloadGiB = (weightsGiB: number) => Math.ceil(weightsGiB * 1.1) + 2;

/** The one-time copy of a model's weights from the Hub into the stack's bucket, phase by phase. */
export interface HubSyncPlan {
  /** The vLLM image (it downloads) onto the node, whose root volume also holds the download. */
  readonly imagePullSeconds: number;
  /** From the Hub onto the node's disk, at the slower of the Hub and the root volume. */
  readonly downloadSeconds: number;
  readonly uploadSeconds: number;
  readonly totalSeconds: number;
  /** The Job's deadline: twice (a node from zero plus the plan), and at least an hour: a slow Hub costs one retry less. */
  readonly budgetSeconds: number;
}

export function hubSyncPlan(weightsGiB: number, rootVolumeMiBps: number = coldStartFigures.gp3BaselineMiBps.value): HubSyncPlan {
  const pull = imagePullSeconds(rootVolumeMiBps);
  const download = (weightsGiB * 1024) / Math.min(coldStartFigures.hubDownloadMiBps.value, rootVolumeMiBps);
  // The upload reads the files back from the same disk.
  const upload = (weightsGiB * 1024) / Math.min(coldStartFigures.bucketUploadMiBps.value, rootVolumeMiBps);
  const totalSeconds = pull + download + upload;
  return {
    imagePullSeconds: pull,
    downloadSeconds: download,
    uploadSeconds: upload,
    totalSeconds,
    budgetSeconds: Math.max(3600, roundUp(2 * (coldStartFigures.nodeFromZero.value + totalSeconds), 60)),
  };
}

/** Annotations on the sync Job that the report reads (scripts/lib/deploy-time), so both use one plan. */
export const hubSyncAnnotations = {
  weightsGiB: "llm-platform.io/hub-sync-weights-gib",
  pool: "llm-platform.io/hub-sync-pool",
} as const;
