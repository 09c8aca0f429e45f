import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type { GpuScheduling } from "../cluster/types";
import { images } from "../versions";

/** One served model, as the stack config describes it. */
export interface ServedModel {
  readonly name: string;
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
}

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
  /** `s3://` or `gs://` prefix the loader copies; set only for `weightsFrom: "bucket"`. */
  readonly modelSource?: pulumi.Input<string>;
  readonly exposure?: ServingExposure;
  readonly monitoring?: ServingMonitoring;
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

/** Waiting requests per replica before KEDA adds one (vLLM production-stack default). */
export const queueThresholdPerReplica = 5;

/** Minutes the startup probe allows for download and load: bigger (multi-GPU) models load longer. */
export const startupBudgetMinutes = (gpuCount: number) => 10 * Math.max(1, gpuCount / 2);

/** Seconds a rollout may take: it must outlast the startup probe, or a healthy load is reported as failed. */
export const rolloutDeadlineSeconds = (gpuCount: number) => Math.max(1200, startupBudgetMinutes(gpuCount) * 60 + 600);

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

/** The model's requests; limits let a replica burst to twice that. */
function resources(model: ServedModel) {
  const { cpu, memoryGiB } = modelRequests(model);
  // vLLM's home holds torch.compile and Triton caches; llama.cpp writes next to nothing outside the cache volume.
  const disk = model.engine === "llamacpp" ? { request: "1Gi", limit: "4Gi" } : { request: "5Gi", limit: "20Gi" };
  return {
    requests: { cpu: String(cpu), memory: `${memoryGiB}Gi`, "ephemeral-storage": disk.request },
    limits: { cpu: String(2 * cpu), memory: `${2 * memoryGiB}Gi`, "ephemeral-storage": disk.limit },
  };
}

/** The engine's own values: image, model flags and, for vLLM, the GPU placement. */
function engineValues(model: ServedModel, scheduling: GpuScheduling | undefined): Record<string, unknown> {
  if (model.engine === "llamacpp") {
    return {
      engine: "llamacpp",
      llamacpp: { image: imageKeys(images.llamacppServer), ...(model.threads === undefined ? {} : { threads: model.threads }) },
      model: {
        name: model.model,
        ggufFile: model.ggufFile,
        servedModelName: model.name,
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
      servedModelName: model.name,
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
 * Several replicas cannot share a ReadWriteOnce volume across nodes (the chart refuses it), so each
 * pod gets its own ephemeral volume from the cluster's StorageClass, sized like the persistent one.
 */
function cache(model: ServedModel, storageClassName: string) {
  const size = `${model.cacheGiB}Gi`;
  if (model.maxReplicas > 1) {
    return { persistence: { enabled: false }, perPod: { type: "ephemeralVolume", size, storageClassName } };
  }
  return { persistence: { enabled: true, size, storageClassName, accessModes: ["ReadWriteOnce"] } };
}

/** The llm-serving chart's values for one model. Pure: every input is data, nothing is created. */
export function servingValues(input: ServingValuesInput): Record<string, unknown> {
  const { model, scheduling, exposure, monitoring } = input;
  const autoscale = model.maxReplicas > model.minReplicas;
  const startupFailures = (startupBudgetMinutes(model.gpuCount) * 60) / 10;
  const loader = input.modelSource === undefined ? undefined : imageKeys(images.rclone);
  return {
    fullnameOverride: model.name,
    ...engineValues(model, scheduling),
    apiKey: { existingSecret: input.apiKeySecret, key: "api-key" },
    ...(input.hfTokenSecret ? { hfToken: { existingSecret: input.hfTokenSecret, key: "token" } } : {}),
    resources: resources(model),
    cache: cache(model, input.storageClassName),
    ...(loader ? { modelLoader: { enabled: true, source: input.modelSource, image: loader } } : {}),
    serviceAccount: { name: model.name, annotations: input.serviceAccountAnnotations },
    ...(input.secretsChecksum === undefined ? {} : { podAnnotations: { [secretsChecksumAnnotation]: input.secretsChecksum } }),
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
      startup: { periodSeconds: 10, failureThreshold: startupFailures, timeoutSeconds: 5 },
      readiness: { periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
      liveness: { periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 10 },
    },
    progressDeadlineSeconds: rolloutDeadlineSeconds(model.gpuCount),
  };
}
