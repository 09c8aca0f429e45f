import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { GpuScheduling } from "../cluster/types";
import type { FrontDoorImplementation } from "../ingress/types";
import { envoyMetrics, envoyRouteCluster, frontDoorMetrics } from "../monitoring/metric-names";
import { images, knownWeightsGiB } from "../versions";
import { loadPlan, servingBudgets, startupProbePeriodSeconds, type LoadPlan, type ServingBudgets, type WeightsPath } from "./cold-start";

/** One served model, as the stack config describes it. */
export interface ServedModel {
  /** The release's name: the model's, or `<model>-<version>` for a canary. */
  readonly name: string;
  /** The name clients send as "model", when two releases serve one model (a canary). @default name */
  readonly servedName?: string;
  /** The model version this release serves: its metrics' `version` label. @default none */
  readonly version?: string;
  /** "vllm" on GPUs, or "llamacpp" on CPU (one GGUF file). */
  readonly engine: "vllm" | "llamacpp";
  /** The Hub id (vLLM), or the Hub repository holding `ggufFile` (llama.cpp). */
  readonly model: string;
  /** llama.cpp: the GGUF file in `model` (or in the bucket copy). */
  readonly ggufFile?: string;
  /** llama.cpp: --threads. */
  readonly threads?: number;
  /** vLLM: GPUs per replica. Ignored by llama.cpp. */
  readonly gpuCount: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly maxModelLen?: number;
  readonly gpuMemoryUtilization: number;
  readonly cacheGiB: number;
  /** Overrides `replicaRequests(gpuCount)`. */
  readonly requests?: { readonly cpu: number; readonly memoryGiB: number };
  readonly weightsFrom: "hub" | "bucket";
  /** Bucket models: "copy" into the cache first (the model loader), or "stream" into GPU memory (vLLM's Run:ai streamer). @default "copy" */
  readonly bucketLoad?: "copy" | "stream";
  /** Parallel reads of the streamer. @default 16 */
  readonly streamerConcurrency?: number;
  /** The weights' size in GiB, when the catalog does not know the model. */
  readonly weightsGiB?: number;
  /** MiB/s the weights reach the GPUs at; overrides the rate derived from the path. */
  readonly loadThroughputMiBps?: number;
  /** Roll out with one extra pod (maxSurge 1, maxUnavailable 0): set when the GPU pool has room for it. */
  readonly rolloutSurge?: boolean;
  /** A registry reference (models:/<name>/<version> or @<alias>) resolved when a pod starts; `model` then only sizes. */
  readonly registry?: string;
}

/** How this model's weights reach the GPUs. */
export function weightsPath(model: ServedModel): WeightsPath {
  if (model.weightsFrom === "hub") return "hub";
  return model.bucketLoad === "stream" && model.engine === "vllm" ? "bucket-stream" : "bucket-copy";
}

/** The model's load plan and the budgets derived from it (startup probe, progress deadline, release timeout). */
export function servingPlan(model: ServedModel, cacheVolumeMiBps?: number): { plan: LoadPlan; budgets: ServingBudgets } {
  const plan = loadPlan({
    path: weightsPath(model),
    weightsGiB: model.weightsGiB,
    catalogWeightsGiB: knownWeightsGiB(model.model),
    loadThroughputMiBps: model.loadThroughputMiBps,
    cacheVolumeMiBps,
  });
  return { plan, budgets: servingBudgets(plan, model.maxReplicas) };
}

/** Pod annotations stating the load plan, for operators and for the report, which reads them from the release values. */
export const loadPlanAnnotations = {
  weightsGiB: "llm-platform.io/weights-gib",
  path: "llm-platform.io/weights-path",
  throughputMiBps: "llm-platform.io/weights-throughput-mibps",
} as const;

/** Where the release is exposed; absent when the stack has no ingress. */
export interface ServingExposure {
  /** True for ingress-nginx (the chart makes an Ingress); false behind the Gateway (an HTTPRoute instead). */
  readonly ingressObject: boolean;
  readonly className: string;
  readonly host: string;
  readonly tlsSecretName: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly controllerNamespace: string;
  readonly controllerPodLabels: Readonly<Record<string, string>>;
}

/** Who scrapes the release and where the autoscaler reads queue depth; absent without monitoring. */
export interface ServingMonitoring {
  readonly prometheusUrl: string;
  readonly prometheusNamespace: string;
  readonly prometheusPodLabels: Readonly<Record<string, string>>;
}

export interface ServingValuesInput {
  readonly model: ServedModel;
  /** Where the GPU pool is; absent for a CPU (llama.cpp) model. */
  readonly scheduling?: GpuScheduling;
  readonly storageClassName: string;
  /** Secret holding the API key under `api-key`. */
  readonly apiKeySecret: string;
  /** Secret holding the Hugging Face token under `token`, when the stack has one. */
  readonly hfTokenSecret?: string;
  readonly serviceAccountAnnotations: pulumi.Input<Record<string, string>>;
  /**
   * A digest of the Secrets' values the pods read at start (API key, HF token), never the values:
   * as a pod annotation, a change of key rolls the pods, which otherwise keep the old one.
   */
  readonly secretsChecksum?: pulumi.Input<string>;
  /** `s3://` or `gs://` prefix the loader copies or the streamer reads; set only for `weightsFrom: "bucket"`. */
  readonly modelSource?: pulumi.Input<string>;
  /** With `model.registry`: where its resolver asks (MLflow) and the bucket the versions must be in. */
  readonly registry?: { readonly trackingUri: string; readonly bucketUrl: pulumi.Input<string> };
  /** Throughput of the cache volume (its StorageClass), which caps Hub downloads and bucket copies. @default gp3's baseline */
  readonly cacheVolumeMiBps?: number;
  /**
   * Per-pod caches go on the node's own disk (an emptyDir on an NVMe instance store) instead of a
   * volume from the StorageClass; `cacheVolumeMiBps` is then that disk's rate. @default false
   */
  readonly cacheOnNode?: boolean;
  /** `minReplicas: 0` only: the PromQL whose rate wakes the model (frontDoorActivationQuery). */
  readonly activationQuery?: string;
  readonly exposure?: ServingExposure;
  readonly monitoring?: ServingMonitoring;
  /** NetworkPolicy peers that may call the model in-cluster besides the front door (the scheduled evaluation). @default none */
  readonly clientPeers?: readonly Record<string, unknown>[];
}

/**
 * The longest a request may take, in seconds: the ingress gives up waiting on the pod after this
 * (proxy-read-timeout), so a pod being removed must be allowed this long to finish what it serves.
 */
export const longestRequestSeconds = 600;
/** How long a pod being removed keeps serving while the ingress controller and kube-proxy drop it. */
export const preStopSleepSeconds = 15;
/** Grace before SIGKILL: the preStop sleep, then the longest request, then a margin for vLLM to exit. */
export const terminationGraceSeconds = preStopSleepSeconds + longestRequestSeconds + 30;

/** The pods' `secretsChecksum`: 16 hex of SHA-256 over the values; a one-way digest, not the values. */
export const secretsDigest = (...values: string[]) => createHash("sha256").update(values.join("\n")).digest("hex").slice(0, 16);

/** The PriorityClass of serving pods; the pipeline's is lower (components/gitops/ml-pipeline.ts). */
export const servingPriority = { name: "llm-serving", value: 100000 } as const;

/** Pod annotation carrying `secretsChecksum`. */
export const secretsChecksumAnnotation = "llm-platform.io/secrets-checksum";

/**
 * The PromQL that wakes a model from zero, and keeps it awake while it serves: its requests at the
 * front door, which counts them (503s included) while no replica runs. The one place that knows the
 * front door's metric and labels. ingress-nginx counts per Ingress, whose own namespace becomes
 * `exported_namespace` once scraped. Envoy counts per route cluster: its responses (a request that
 * finds no replica fails to connect and is charged as a 503, since the model's routes go to the Service
 * address), plus the requests in flight, so a stream longer than the rate window does not look idle.
 */
export function frontDoorActivationQuery(
  implementation: FrontDoorImplementation,
  namespace: string,
  routes: {
    /** The model's own Ingress or HTTPRoute (named after its release); absent behind the Gateway with the LLM API. */
    readonly own?: string;
    /** Envoy only: the LLM API's AIGatewayRoute and the rules that send to this release (the AI gateway keeps the rule order). */
    readonly llmApi?: { readonly route: string; readonly rules: readonly number[] };
  },
): string {
  if (implementation === "envoy-gateway") {
    const clusters = [
      ...(routes.own ? [envoyRouteCluster(namespace, routes.own)] : []),
      ...(routes.llmApi ? routes.llmApi.rules.map((rule) => envoyRouteCluster(namespace, routes.llmApi!.route, rule)) : []),
    ];
    if (clusters.length === 0) throw new Error("a model behind Envoy Gateway needs a route to wake it: its own or the LLM API's");
    const cluster = clusters.length === 1 ? `envoy_cluster_name="${clusters[0]}"` : `envoy_cluster_name=~"${clusters.join("|")}"`;
    return `sum(rate(${envoyMetrics.responses}{${cluster}}[2m])) + sum(${envoyMetrics.active}{${cluster}})`;
  }
  if (!routes.own) throw new Error("a model behind ingress-nginx is woken by its own Ingress");
  return `sum(rate(${frontDoorMetrics.requests}{exported_namespace="${namespace}", ingress="${routes.own}"}[2m]))`;
}

/** Waiting requests per replica before KEDA adds one (vLLM production-stack default). */
export const queueThresholdPerReplica = 5;

/** `registry/repository:tag` split into the chart's image keys. */
export function imageKeys(reference: string): { repository: string; tag: string } {
  const colon = reference.lastIndexOf(":");
  return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
}

const selector = (labels: Readonly<Record<string, string>>) => ({ matchLabels: { ...labels } });
const namespaceSelector = (namespace: string) => selector({ "kubernetes.io/metadata.name": namespace });

/**
 * CPU and memory a replica requests, per GPU: vLLM's CPU side (tokenizer, scheduler, one worker
 * process per GPU) and the weights staged in host memory both grow with the tensor-parallel size.
 * Sized so that one GPU's share fits the smallest single-GPU nodes (g5/g6.xlarge, 4 vCPU and 16 GiB)
 * after the kubelet's reservation and the DaemonSets; a config rule checks every pool against it.
 */
export const requestPerGpu = { cpu: 3, memoryGiB: 12 } as const;

/** The CPU (cores) and memory (GiB) one replica of a `gpuCount`-GPU model requests. */
export const replicaRequests = (gpuCount: number) => ({
  cpu: requestPerGpu.cpu * gpuCount,
  memoryGiB: requestPerGpu.memoryGiB * gpuCount,
});

/**
 * What one llama.cpp replica requests by default: a small quantized model (Qwen2.5-0.5B Q4_K_M is
 * about 400 MB, plus its KV cache and compute buffers) decodes on one core and fits in 1 GiB.
 */
export const cpuReplicaRequests = { cpu: 1, memoryGiB: 1 } as const;

/** The CPU (cores) and memory (GiB) one replica of this model requests. */
export const modelRequests = (model: ServedModel) =>
  model.requests ?? (model.engine === "llamacpp" ? cpuReplicaRequests : replicaRequests(model.gpuCount));

/** The CPU (cores) and memory (GiB) one replica may use: twice its requests, so that it can burst. */
export const modelLimits = (model: ServedModel) => {
  const { cpu, memoryGiB } = modelRequests(model);
  return { cpu: 2 * cpu, memoryGiB: 2 * memoryGiB };
};

/** The Run:ai streamer's own CPU buffer limit for a single process (40 GB), in MiB. */
const streamerSingleProcessLimitMiB = Math.floor(40e9 / 2 ** 20);

/**
 * The Run:ai streamer's CPU buffer per GPU worker. Each tensor-parallel worker streams with its own
 * buffer, and with distributed streaming the streamer sets no limit at all: half the replica's memory
 * limit, shared by its workers, leaves the other half to the engine processes themselves.
 */
export function streamerMemoryLimitMiB(model: ServedModel): number {
  const perWorker = Math.floor((modelLimits(model).memoryGiB * 1024) / 2 / Math.max(1, model.gpuCount));
  return Math.min(perWorker, streamerSingleProcessLimitMiB);
}

/**
 * llama.cpp's threads and prompt cache for one replica. Left to itself, llama.cpp starts a thread per
 * core of the node, not of the pod: threads beyond the CPU limit are throttled in turn and decode
 * slower, not faster. Its prompt cache of idle slots may take 8 GiB by default, far past a small
 * replica's memory limit (an OOM kill once enough conversations were served); a quarter of the limit
 * leaves the rest to the weights, the KV cache and the compute buffers.
 */
export function llamacppSizing(model: ServedModel): { threads: number; cacheRamMiB: number } {
  const limits = modelLimits(model);
  return { threads: model.threads ?? Math.max(1, Math.floor(limits.cpu)), cacheRamMiB: Math.floor((limits.memoryGiB * 1024) / 4) };
}

/** The model's requests, and limits twice that. */
function resources(model: ServedModel, cacheOnNode: boolean) {
  const { cpu, memoryGiB } = modelRequests(model);
  const limits = modelLimits(model);
  // vLLM's home holds torch.compile and Triton caches; llama.cpp writes next to nothing outside the cache volume.
  const home = model.engine === "llamacpp" ? { request: 1, limit: 4 } : { request: 5, limit: vllmHomeLimitGiB };
  // An emptyDir cache counts against the pod's ephemeral storage, so the scheduler must see it.
  const cache = cacheOnNode ? model.cacheGiB : 0;
  return {
    requests: { cpu: String(cpu), memory: `${memoryGiB}Gi`, "ephemeral-storage": `${home.request + cache}Gi` },
    limits: { cpu: String(limits.cpu), memory: `${limits.memoryGiB}Gi`, "ephemeral-storage": `${home.limit + cache}Gi` },
  };
}

/** The engine's own values: image, model flags and, for vLLM, the GPU placement. */
function engineValues(model: ServedModel, scheduling: GpuScheduling | undefined): Record<string, unknown> {
  if (model.engine === "llamacpp") {
    return {
      engine: "llamacpp",
      llamacpp: { image: imageKeys(images.llamacppServer), ...llamacppSizing(model) },
      model: {
        name: model.model,
        ggufFile: model.ggufFile,
        servedModelName: model.servedName ?? model.name,
        ...(model.version === undefined ? {} : { version: model.version }),
        ...(model.maxModelLen === undefined ? {} : { maxModelLen: model.maxModelLen }),
      },
    };
  }
  if (!scheduling) throw new Error(`model ${model.name}: the vllm engine needs a GPU pool to run on`);
  return {
    engine: "vllm",
    image: imageKeys(images.vllm),
    model: {
      name: model.model,
      servedModelName: model.servedName ?? model.name,
      ...(model.version === undefined ? {} : { version: model.version }),
      gpuMemoryUtilization: model.gpuMemoryUtilization,
      ...(model.maxModelLen === undefined ? {} : { maxModelLen: model.maxModelLen }),
    },
    gpu: {
      count: model.gpuCount,
      nodeSelector: { ...scheduling.nodeSelector },
      tolerations: scheduling.tolerations.map((toleration) => ({ ...toleration })),
      runtimeClassName: scheduling.runtimeClassName ?? "",
    },
    // NCCL between tensor-parallel workers goes through /dev/shm; one GPU needs little.
    shm: { sizeLimit: model.gpuCount > 1 ? `${4 * model.gpuCount}Gi` : "2Gi" },
  };
}

/**
 * The weight cache. One replica keeps a PersistentVolumeClaim, so a restarted pod finds the weights.
 * Several replicas (or a rollout's surge pod) cannot share a ReadWriteOnce volume across nodes (the
 * chart refuses it), so each pod gets its own ephemeral volume from the cluster's StorageClass, sized like the persistent one.
 */
/** GiB vLLM may write outside its cache volume (torch.compile and Triton caches in its home). */
export const vllmHomeLimitGiB = 20;

/** Whether each pod gets its own cache: a surge pod runs beside the one it replaces, maybe on another node. */
export const perPodCache = (model: ServedModel) => model.maxReplicas > 1 || model.rolloutSurge === true;

function cache(model: ServedModel, storageClassName: string, cacheOnNode: boolean) {
  const size = `${model.cacheGiB}Gi`;
  if (perPodCache(model)) {
    if (cacheOnNode) return { persistence: { enabled: false }, perPod: { type: "emptyDir", size } };
    return { persistence: { enabled: false }, perPod: { type: "ephemeralVolume", size, storageClassName } };
  }
  return { persistence: { enabled: true, size, storageClassName, accessModes: ["ReadWriteOnce"] } };
}

/**
 * rclone filter for a llama.cpp model's bucket copy: its GGUF file only (every shard of a split one),
 * not each quantization a mirrored GGUF repository holds, which would overflow a cache sized for one.
 */
export function ggufInclude(ggufFile: string): string[] {
  const split = /^(.*)-\d{5}-of-(\d{5})\.gguf$/.exec(ggufFile);
  return ["--include", split ? `${split[1]}-*-of-${split[2]}.gguf` : ggufFile];
}

/** The llm-serving chart's values for one model. Pure: every input is data, nothing is created. */
export function servingValues(input: ServingValuesInput): Record<string, unknown> {
  const { model, scheduling, exposure, monitoring } = input;
  const autoscale = model.maxReplicas > model.minReplicas;
  const { plan, budgets } = servingPlan(model, input.cacheVolumeMiBps);
  const stream = input.modelSource !== undefined && plan.path === "bucket-stream";
  const onNode = input.cacheOnNode === true && perPodCache(model);
  const fromRegistry = model.registry !== undefined && input.registry !== undefined;
  const loader = (input.modelSource === undefined && !fromRegistry) || stream ? undefined : imageKeys(images.rclone);
  return {
    fullnameOverride: model.name,
    ...engineValues(model, scheduling),
    apiKey: { existingSecret: input.apiKeySecret, key: "api-key" },
    // A streamed model reads the bucket with the pod's cloud identity: no Hub token in its pod.
    ...(input.hfTokenSecret && !stream ? { hfToken: { existingSecret: input.hfTokenSecret, key: "token" } } : {}),
    resources: resources(model, onNode),
    cache: cache(model, input.storageClassName, onNode),
    ...(loader
      ? {
          modelLoader: {
            enabled: true,
            ...(fromRegistry
              ? { registry: { uri: model.registry, trackingUri: input.registry!.trackingUri, bucketUrl: input.registry!.bucketUrl } }
              : { source: input.modelSource }),
            image: loader,
            ...(model.engine === "llamacpp" && model.ggufFile ? { extraArgs: ggufInclude(model.ggufFile) } : {}),
          },
        }
      : {}),
    ...(stream
      ? { modelStreamer: { enabled: true, uri: input.modelSource, concurrency: model.streamerConcurrency ?? 16, memoryLimitMiB: streamerMemoryLimitMiB(model) } }
      : {}),
    serviceAccount: { name: model.name, annotations: input.serviceAccountAnnotations },
    podAnnotations: {
      ...(input.secretsChecksum === undefined ? {} : { [secretsChecksumAnnotation]: input.secretsChecksum }),
      [loadPlanAnnotations.weightsGiB]: String(plan.weightsGiB),
      [loadPlanAnnotations.path]: plan.path,
      [loadPlanAnnotations.throughputMiBps]: String(plan.throughputMiBps),
    },
    preStopSleepSeconds,
    terminationGracePeriodSeconds: terminationGraceSeconds,
    priorityClassName: servingPriority.name,
    ...(autoscale
      ? {
          autoscaling: {
            enabled: true,
            minReplicas: model.minReplicas,
            maxReplicas: model.maxReplicas,
            prometheusServerAddress: monitoring!.prometheusUrl,
            threshold: queueThresholdPerReplica,
            ...(model.minReplicas === 0 ? { activation: { query: input.activationQuery, activationThreshold: 0 } } : {}),
          },
        }
      : { replicas: model.minReplicas }),
    serviceMonitor: { enabled: monitoring !== undefined },
    ingress: exposure?.ingressObject
      ? {
          enabled: true,
          className: exposure.className,
          host: exposure.host,
          annotations: {
            ...exposure.annotations,
            // Streamed completions: pass tokens through as they come, and allow long generations.
            "nginx.ingress.kubernetes.io/proxy-buffering": "off",
            "nginx.ingress.kubernetes.io/proxy-read-timeout": String(longestRequestSeconds),
            "nginx.ingress.kubernetes.io/proxy-body-size": "16m",
          },
          tls: { secretName: exposure.tlsSecretName },
        }
      : { enabled: false },
    // Only the peers that exist may connect; with neither, all traffic to the pods is denied.
    networkPolicy: {
      enabled: true,
      allowIngressController: exposure !== undefined,
      allowPrometheus: monitoring !== undefined,
      ...(input.clientPeers && input.clientPeers.length > 0 ? { additionalPeers: input.clientPeers.map((peer) => ({ ...peer })) } : {}),
      ...(exposure
        ? {
            ingressControllerNamespaceSelector: namespaceSelector(exposure.controllerNamespace),
            ingressControllerPodSelector: selector(exposure.controllerPodLabels),
          }
        : {}),
      ...(monitoring
        ? {
            prometheusNamespaceSelector: namespaceSelector(monitoring.prometheusNamespace),
            prometheusPodSelector: selector(monitoring.prometheusPodLabels),
          }
        : {}),
    },
    probes: {
      // Sized from the weights and the rate they arrive at (components/serving/cold-start.ts).
      startup: { periodSeconds: startupProbePeriodSeconds, failureThreshold: budgets.startupFailureThreshold, timeoutSeconds: 5 },
      readiness: { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
      liveness: { periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 10 },
    },
    progressDeadlineSeconds: budgets.progressDeadlineSeconds,
    // With room on the pool, the new pod starts beside the old one, which serves until it is ready.
    rollout: model.rolloutSurge ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 },
  };
}
