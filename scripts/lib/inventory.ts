import { instanceStoreWriteMiBps, localNvmeLabel } from "../../components/cloud-catalog";
import type { SynthResource } from "./synthesize";

/**
 * What the cost and deploy-time models need to know about a synthesized stack, read from the inputs
 * the program gave its resources: the platform, the node pools, the served models and the load
 * balancers. Pure functions over `resources.json`, so a synth of any commit can be read.
 */
export type Platform = "eks" | "gke" | "k3s";

export const helmReleaseType = "kubernetes:helm.sh/v3:Release";
const gpuPoolLabel = "llm-platform.io/gpu-pool";

type Json = Record<string, unknown>;
const record = (value: unknown): Json => (value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {});
const numberOr = (value: unknown, fallback: number): number => (typeof value === "number" && Number.isFinite(value) ? value : fallback);

export function platformOf(resources: readonly SynthResource[]): Platform {
  if (resources.some((r) => r.type === "aws:eks/cluster:Cluster")) return "eks";
  if (resources.some((r) => r.type === "gcp:container/cluster:Cluster")) return "gke";
  return "k3s";
}

/** The cloud region, from the cloud provider's inputs (undefined on k3s). */
export function regionOf(resources: readonly SynthResource[]): string | undefined {
  const provider = resources.find((r) => r.type === "pulumi:providers:aws" || r.type === "pulumi:providers:gcp");
  const region = provider?.inputs.region;
  return typeof region === "string" ? region : undefined;
}

/** The Kubernetes minor the EKS cluster is created at (undefined elsewhere). */
export function eksVersionOf(resources: readonly SynthResource[]): string | undefined {
  const version = resources.find((r) => r.type === "aws:eks/cluster:Cluster")?.inputs.version;
  return typeof version === "string" ? version : undefined;
}

/** A Kubernetes quantity ("50Gi", "1Ti", "500G") in GiB; 0 when it is not one. */
export function quantityGiB(quantity: unknown): number {
  const match = typeof quantity === "string" ? /^(\d+(?:\.\d+)?)(Mi|Gi|Ti|M|G|T)?$/.exec(quantity) : null;
  if (!match) return 0;
  const factor: Record<string, number> = { Mi: 1 / 1024, Gi: 1, Ti: 1024, M: 1e6 / 2 ** 30, G: 1e9 / 2 ** 30, T: 1e12 / 2 ** 30 };
  return Number(match[1]) * (factor[match[2] ?? ""] ?? 1 / 2 ** 30);
}

export interface NodePool {
  readonly urn: string;
  readonly name: string;
  readonly gpu: boolean;
  readonly gpusPerNode: number;
  readonly machineType: string;
  readonly spot: boolean;
  /** Node counts for the whole pool (GKE per-zone counts multiplied out). */
  readonly min: number;
  readonly initial: number;
  readonly max: number;
  readonly diskGiB: number;
  readonly diskType: string;
  /** Root volume provisioned throughput (MiB/s); undefined where the program sets none. */
  readonly diskThroughputMiBps?: number;
  readonly diskIops?: number;
  /** MiB/s images and emptyDir volumes are written at: the instance store when set up, else the root volume. */
  readonly imageDiskMiBps?: number;
}

function eksPool(resource: SynthResource, byUrn: Map<string, SynthResource>): NodePool {
  const inputs = resource.inputs;
  const labels = record(inputs.labels) as Record<string, string>;
  const tags = record(inputs.tags) as Record<string, string>;
  const scaling = record(inputs.scalingConfig);
  const template = resource.dependsOn.map((urn) => byUrn.get(urn)).find((r) => r?.type === "aws:ec2/launchTemplate:LaunchTemplate");
  const ebs = record(record((template?.inputs.blockDeviceMappings as unknown[] | undefined)?.[0]).ebs);
  const gpusPerNode = Number(tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] ?? 0);
  return {
    urn: resource.urn,
    name: labels[gpuPoolLabel] ?? labels["llm-platform.io/node-role"] ?? String(inputs.nodeGroupName ?? resource.name),
    gpu: gpusPerNode > 0 || String(inputs.amiType ?? "").includes("NVIDIA"),
    gpusPerNode,
    // cluster-autoscaler sizes new nodes from the first type, and EKS launches it first.
    machineType: String((inputs.instanceTypes as string[] | undefined)?.[0] ?? "t3.medium"),
    spot: inputs.capacityType === "SPOT",
    min: numberOr(scaling.minSize, 0),
    initial: numberOr(scaling.desiredSize, numberOr(scaling.minSize, 0)),
    max: numberOr(scaling.maxSize, 0),
    // EKS's own defaults when no launch template sets the root volume.
    diskGiB: numberOr(ebs.volumeSize, numberOr(inputs.diskSize, 20)),
    diskType: String(ebs.volumeType ?? "gp3"),
    ...(typeof ebs.throughput === "number" ? { diskThroughputMiBps: ebs.throughput } : {}),
    // With the instance store as RAID0 (node-groups.ts), images and emptyDir volumes are written there.
    ...(labels[localNvmeLabel] === "raid0"
      ? { imageDiskMiBps: instanceStoreWriteMiBps }
      : typeof ebs.throughput === "number" ? { imageDiskMiBps: ebs.throughput } : {}),
    ...(typeof ebs.iops === "number" ? { diskIops: ebs.iops } : {}),
  };
}

function gkePool(resource: SynthResource): NodePool {
  const inputs = resource.inputs;
  const config = record(inputs.nodeConfig);
  const autoscaling = record(inputs.autoscaling);
  const accelerators = (config.guestAccelerators as Json[] | undefined) ?? [];
  // Per-zone counts apply in every zone of the pool; a regional pool without nodeLocations gets three.
  const zones = (inputs.nodeLocations as unknown[] | undefined)?.length ?? (/-[a-z]$/.test(String(inputs.location)) ? 1 : 3);
  const initial = numberOr(inputs.initialNodeCount, numberOr(inputs.nodeCount, 1)) * zones;
  const labels = record(config.labels) as Record<string, string>;
  return {
    urn: resource.urn,
    name: labels[gpuPoolLabel] ?? resource.name,
    gpu: accelerators.length > 0,
    gpusPerNode: accelerators.reduce((sum, accelerator) => sum + numberOr(accelerator.count, 0), 0),
    machineType: String(config.machineType ?? "e2-medium"),
    spot: config.spot === true || config.preemptible === true,
    min: numberOr(autoscaling.totalMinNodeCount, numberOr(autoscaling.minNodeCount, initial / zones) * zones),
    initial,
    max: numberOr(autoscaling.totalMaxNodeCount, numberOr(autoscaling.maxNodeCount, initial / zones) * zones),
    // GKE's defaults: 100 GB pd-balanced boot disks.
    diskGiB: numberOr(config.diskSizeGb, 100),
    diskType: String(config.diskType ?? "pd-balanced"),
  };
}

/** Cloud node pools (k3s machines are the owner's and not pools here). */
export function nodePools(resources: readonly SynthResource[]): NodePool[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  return resources.flatMap((resource) => {
    if (resource.type === "aws:eks/nodeGroup:NodeGroup") return [eksPool(resource, byUrn)];
    if (resource.type === "gcp:container/nodePool:NodePool") return [gkePool(resource)];
    return [];
  });
}

export interface ServedModel {
  readonly urn: string;
  readonly name: string;
  readonly modelId: string;
  readonly pool: string | undefined;
  readonly gpuCount: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** A cache volume per pod (ephemeral), or one shared volume, in GiB. */
  readonly cachePerPodGiB: number;
  readonly cacheSharedGiB: number;
  /** The StorageClass of the cache volumes. */
  readonly cacheStorageClass?: string;
  /** Seconds the startup probe allows for download and load. */
  readonly startupBudgetSeconds: number;
  /** The load plan the program annotated the pods with (components/serving/values.ts), when present. */
  readonly podAnnotations: Readonly<Record<string, string>>;
}

/** A Release of this repo's llm-serving chart. */
export const isServingRelease = (resource: SynthResource) =>
  resource.type === helmReleaseType && typeof resource.inputs.chart === "string" && resource.inputs.chart.endsWith("llm-serving");

export function servedModels(resources: readonly SynthResource[]): ServedModel[] {
  return resources.filter(isServingRelease).map((resource) => {
    const values = record(resource.inputs.values);
    const gpu = record(values.gpu);
    const autoscaling = record(values.autoscaling);
    const fixed = numberOr(values.replicas, 1);
    const cache = record(values.cache);
    const persistence = record(cache.persistence);
    const startup = record(record(values.probes).startup);
    return {
      urn: resource.urn,
      name: String(values.fullnameOverride ?? resource.inputs.name ?? resource.name),
      modelId: String(record(values.model).name ?? ""),
      pool: (record(gpu.nodeSelector) as Record<string, string>)[gpuPoolLabel],
      gpuCount: numberOr(gpu.count, 1),
      minReplicas: autoscaling.enabled === true ? numberOr(autoscaling.minReplicas, 1) : fixed,
      maxReplicas: autoscaling.enabled === true ? numberOr(autoscaling.maxReplicas, 1) : fixed,
      cachePerPodGiB: quantityGiB(record(cache.perPod).size),
      cacheSharedGiB: persistence.enabled === false ? 0 : quantityGiB(persistence.size),
      cacheStorageClass: (persistence.enabled === false ? record(cache.perPod).storageClassName : persistence.storageClassName) as string | undefined,
      startupBudgetSeconds: numberOr(startup.failureThreshold, 0) * numberOr(startup.periodSeconds, 10),
      podAnnotations: record(values.podAnnotations) as Record<string, string>,
    };
  });
}

/** GB of weights in bf16 from the parameter count in a model id ("Llama-3.3-70B-Instruct": 140). */
export function weightsGB(modelId: string): number | undefined {
  const match = /(?:^|[-_/])(\d+(?:\.\d+)?)[bB](?=$|[-_.])/.exec(modelId.split("/").pop() ?? "");
  return match ? Number(match[1]) * 2 : undefined;
}

/**
 * Services of type LoadBalancer a Helm release creates, from its values: any `service` object with
 * that type. ingress-nginx's chart defaults its controller Service to LoadBalancer.
 */
export function loadBalancerServices(resource: SynthResource): { annotations: Record<string, string> }[] {
  if (resource.type !== helmReleaseType) return [];
  const values = record(resource.inputs.values);
  const found: { annotations: Record<string, string> }[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== "object") return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === "service" && record(inner).type === "LoadBalancer") found.push({ annotations: record(record(inner).annotations) as Record<string, string> });
      else walk(inner);
    }
  };
  walk(values);
  if (resource.inputs.chart === "ingress-nginx" && record(record(values.controller).service).type === undefined) found.push({ annotations: {} });
  return found;
}
