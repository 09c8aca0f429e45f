import type { z } from "zod";
import { maxReleaseTimeoutSeconds } from "../../components/serving/cold-start";
import { replicaRequests, requestPerGpu, servingPlan, vllmHomeLimitGiB, weightsPath } from "../../components/serving/values";
import { hubSyncDownloadGiB } from "../../components/serving/cold-start";
import { poolEphemeralStorageGiB, usesLocalNvme } from "../../components/cluster/eks/policies";
import { knownWeightsGiB } from "../../components/cloud-catalog";
import { maxRouteRules, reservedRouteRuleName } from "../../components/ingress/ai-gateway-manifests";
import { eksGpuInstances } from "./cluster-eks";
import { checkCanary, modelReleases, poolGpuDemand } from "./canary";
import { checkModelEngine } from "./models";
import { checkGkeRules } from "./rules-gke";
import { checkLifecycleRules } from "./rules-lifecycle";
import { checkK3sProvisionRules, k3sGpuPools } from "./rules-k3s";
import type { platformSchema } from "./schema";

export type Parsed = z.output<typeof platformSchema>;
export type Path = (string | number)[];

/** What serving needs to know about a GPU pool, whatever the cluster provider. */
export interface GpuPoolCapacity {
  name: string;
  gpusPerNode: number;
  maxNodes: number;
}

/** GPUs per node and node counts of each configured pool; pure, so serving and the rules agree. */
export function gpuPoolCapacities(cluster: Parsed["cluster"]): GpuPoolCapacity[] {
  switch (cluster.provider) {
    case "eks":
      return cluster.gpuPools.map((pool) => ({
        name: pool.name,
        gpusPerNode: Math.min(...pool.instanceTypes.map((type) => eksGpuInstances[type]?.gpus ?? 0)),
        maxNodes: pool.maxSize,
      }));
    case "gke":
      return cluster.gpuPools.map((pool) => ({
        name: pool.name,
        gpusPerNode: pool.accelerator.count,
        maxNodes: pool.maxSize,
      }));
    case "k3s": {
      const pools = cluster.mode === "existing" ? cluster.gpuPools : k3sGpuPools(cluster);
      return pools.map((pool) => ({ name: pool.name, gpusPerNode: pool.gpusPerNode, maxNodes: pool.nodes }));
    }
  }
}

/**
 * What a node keeps for itself before pods get any: the kubelet's and the system's reservation
 * (about 0.1 vCPU and 1 GiB on a 4 vCPU EKS node) plus the platform's DaemonSets (CNI, kube-proxy,
 * CSI, device plugin, DCGM and node exporters, log shipper), rounded up.
 */
export const nodeReserve = { cpu: 0.75, memoryGiB: 3 } as const;

/** Whether CPU and memory requests fit one node of this size once `nodeReserve` is set aside. */
export const fitsNode = (request: { cpu: number; memoryGiB: number }, node: { vcpus: number; memoryGiB: number }) =>
  request.cpu <= node.vcpus - nodeReserve.cpu && request.memoryGiB <= node.memoryGiB - nodeReserve.memoryGiB;

/**
 * Hugging Face organisations whose models are gated (the Hub answers 401 without an accepted licence
 * and a token). Not exhaustive: the Hub has no offline list, so this names the common ones.
 */
export const gatedModelPrefixes = ["meta-llama/", "google/gemma"] as const;

const publicDomain = (domain: string) => !/\.(local|localhost|internal|test|example|invalid)$/.test(domain);

/** Rules that span fields; each names the fields that conflict and why. */
export function checkCrossFieldRules(config: Parsed, ctx: z.RefinementCtx): void {
  // The value after defaults: a rule may object to a default the stack file never wrote.
  const fail = (path: Path, message: string) => {
    const value = path.reduce<unknown>((data, segment) => (data && typeof data === "object" ? (data as Record<string | number, unknown>)[segment] : undefined), config);
    // zod keeps `input` only with reportInput; params survive.
    ctx.addIssue({ code: "custom", path, message, input: undefined, params: { value } });
  };
  const { cluster } = config;
  const failOnce = fail;

  // The LLM API (Envoy AI Gateway): one route rule per model, consumer keys checked at the Gateway.
  const consumers = config.serving.consumers.map((consumer) => consumer.name);
  consumers.forEach((name, index) => {
    if (consumers.indexOf(name) !== index) fail(["serving", "consumers", index, "name"], `duplicate consumer name "${name}": each consumer has one key`);
  });
  if (consumers.length > 0 && (!config.addons.ingress.enabled || config.addons.ingress.implementation !== "envoy-gateway")) {
    fail(["serving", "consumers"], 'per-consumer keys need the Gateway front door: set addons.ingress.implementation to "envoy-gateway" (ingress-nginx keeps one host per model and the shared key llmApiKey)');
  }
  const gatewayFrontDoor = config.addons.ingress.enabled && config.addons.ingress.implementation === "envoy-gateway";
  // A rule per model, and a canary's model two more: one per version, pinned by the version header.
  const routeRules = config.models.length + 2 * config.models.filter((model) => model.canary).length;
  if (gatewayFrontDoor && routeRules > maxRouteRules) {
    fail(["models"], `the LLM API has at most ${maxRouteRules} route rules (AIGatewayRoute maxItems): one per model and two more per canary; this stack needs ${routeRules}`);
  }

  const pools: { name: string; minSize: number; maxSize: number }[] =
    cluster.provider === "k3s" ? [] : cluster.gpuPools;
  pools.forEach((pool, index) => {
    if (pool.minSize > pool.maxSize) {
      fail(["cluster", "gpuPools", index, "minSize"], `must be <= maxSize (${pool.maxSize})`);
    }
  });
  const poolNames = cluster.provider === "k3s" && cluster.mode === "provision" ? [] : cluster.gpuPools.map((pool) => pool.name);
  poolNames.forEach((name, index) => {
    if (poolNames.indexOf(name) !== index) fail(["cluster", "gpuPools", index, "name"], `duplicate GPU pool name "${name}"`);
  });

  if (cluster.provider !== "k3s" && cluster.systemPool.minSize > cluster.systemPool.maxSize) {
    fail(["cluster", "systemPool", "minSize"], `must be <= systemPool.maxSize (${cluster.systemPool.maxSize})`);
  }

  if (cluster.provider === "eks") {
    cluster.gpuPools.forEach((pool, index) => {
      // Unknown types have their own message; they would only add noise here.
      const known = pool.instanceTypes.filter((type) => eksGpuInstances[type] !== undefined);
      const gpuCounts = new Set(known.map((type) => eksGpuInstances[type]!.gpus));
      if (gpuCounts.size > 1) {
        fail(["cluster", "gpuPools", index, "instanceTypes"], "all instance types of a pool must have the same GPU count, so that a model's placement does not depend on which one the autoscaler picks");
      }
      const gpuModels = [...new Set(known.map((type) => eksGpuInstances[type]!.gpu))];
      if (gpuModels.length > 1) {
        fail(["cluster", "gpuPools", index, "instanceTypes"], `mixes GPU models (${gpuModels.join(", ")}): the node group labels every node with one llm-platform.io/gpu-model, taken from the first type, so the label would be wrong on the others; use one GPU model per pool`);
      }
    });
    if (config.environment === "prod" && cluster.publicAccessCidrs.some((c) => c.endsWith("/0"))) {
      fail(["cluster", "publicAccessCidrs"], "prod never exposes the API endpoint to the whole internet; list your office or VPN CIDRs, or none for a private endpoint");
    }
    checkEksRules(config, cluster, fail);
  }

  if (cluster.provider === "gke") checkGkeRules(cluster, config.environment, fail);

  const existing = cluster.provider === "k3s" && cluster.mode === "existing";
  const provision = cluster.provider === "k3s" && cluster.mode === "provision";
  if (existing && config.kubeconfig === undefined) {
    fail(["kubeconfig"], "required when cluster.mode is \"existing\": pulumi config set --secret kubeconfig \"$(cat path/to/kubeconfig)\"");
  } else if (!existing && config.kubeconfig !== undefined) {
    fail(["kubeconfig"], "only used when cluster.mode is \"existing\" (other clusters' kubeconfig comes from the cluster itself); remove it: pulumi config rm kubeconfig");
  }
  if (provision && config.sshPrivateKey === undefined) {
    fail(["sshPrivateKey"], "required when cluster.mode is \"provision\": cat ~/.ssh/id_ed25519 | pulumi config set --secret sshPrivateKey --");
  } else if (!provision && config.sshPrivateKey !== undefined) {
    fail(["sshPrivateKey"], "only used when cluster.mode is \"provision\"; remove it: pulumi config rm sshPrivateKey");
  }
  if (cluster.provider === "k3s" && cluster.mode === "provision") checkK3sProvisionRules(cluster, config.environment, fail);
  if (cluster.provider === "k3s" && config.environment === "prod" && cluster.objectStorage?.endpoint.startsWith("http:")) {
    fail(["cluster", "objectStorage", "endpoint"], "must be https:// in prod: over http:// the S3 credentials and every model and dataset cross the network in the clear");
  }

  if (cluster.provider !== "k3s" && config.environment === "prod" && !cluster.protect) {
    fail(["cluster", "protect"], "must be true in prod, so that pulumi destroy cannot delete the cluster, its key or its bucket");
  }

  const capacities = gpuPoolCapacities(cluster);
  const modelNames = config.models.map((model) => model.name);
  const releaseNames = config.models.flatMap((model) => modelReleases(model).map(({ release }) => release.name));
  config.models.forEach((model, index) => {
    checkCanary(model, { gatewayFrontDoor, releaseNames }, (path, message) => fail(["models", index, ...path], message));
  });
  // Each version of a model is checked as the release it becomes. A canary's problem is reported at
  // its own key when it has one (canary.model, ...), else at the model's (the key to change), once.
  const reported = new Set<string>();
  const releases = config.models.flatMap((model, index) =>
    modelReleases(model).map(({ release, canary }) => ({ model: release, index, canary })),
  );
  releases.forEach(({ model, index, canary }) => {
    const canaryKeys = new Set(Object.keys(config.models[index]!.canary ?? {}));
    const at = (key: string): Path => (canary && canaryKeys.has(key) ? ["models", index, "canary", key] : ["models", index, key]);
    const fail = (path: Path, message: string) => {
      const key = `${path.join(".")}\0${message}`;
      if (reported.has(key)) return;
      reported.add(key);
      failOnce(path, message);
    };
    if (!canary && modelNames.indexOf(model.name) !== index) fail(at("name"), `duplicate model name "${model.name}"`);
    // The LLM API's route names its rule after the model, and the AI gateway's CRD refuses this one.
    if (!canary && model.name === reservedRouteRuleName) {
      fail(at("name"), `"${reservedRouteRuleName}" is reserved by the AI gateway (the LLM API's route rule named after the model would be refused): pick another name`);
    }
    if (model.minReplicas > model.maxReplicas) fail(at("minReplicas"), `must be <= maxReplicas (${model.maxReplicas})`);
    // From zero no pod reports a queue: only requests counted at the front door can wake the model.
    if (model.minReplicas === 0 && !(config.addons.ingress.enabled && config.addons.monitoring.enabled)) {
      fail(at("minReplicas"), "0 needs addons.ingress and addons.monitoring enabled: with no replica running, the model is woken by its requests counted at the ingress controller and read from Prometheus; use minReplicas: 1 or enable both");
    }
    if (model.weightsFrom === "bucket" && cluster.provider === "k3s") {
      fail(at("weightsFrom"), "\"bucket\" needs a cloud cluster (eks or gke): the loader reads the bucket through workload identity, which k3s does not have; use \"hub\"");
    }
    // The path is hfToken with no value, so offline synth fills a placeholder as for any missing secret.
    if (model.weightsFrom === "hub" && config.hfToken === undefined) {
      const gated = gatedModelPrefixes.find((prefix) => model.model.startsWith(prefix));
      if (gated) {
        fail(["hfToken"], `required because models[${index}].${at("model").slice(2).join(".")} "${model.model}" is gated on Hugging Face (${gated}): without a token vLLM gets 401 and the release rolls back; ` +
          "accept the licence on the model's page, then: pulumi config set --secret hfToken hf_... (or serve it with weightsFrom: bucket)");
      }
    }
    const weights = model.weightsGiB ?? knownWeightsGiB(model.model);
    // Streamed weights go from the bucket to GPU memory: the cache then only holds compile caches.
    if (weights !== undefined && model.cacheGiB < weights && weightsPath(model) !== "bucket-stream") {
      const source = model.weightsGiB !== undefined ? "models[].weightsGiB" : `bf16 size of ${model.model}`;
      fail(at("cacheGiB"), `${model.cacheGiB} GiB cannot hold the model's weights (${weights} GiB, ${source}): must be >= ${Math.ceil(weights)}`);
    }
    checkModelEngine(model, (key, message) => fail(at(key), message));
    checkServingBudget(model, cluster.provider === "eks" ? cluster.modelCacheVolume.throughputMiBps : undefined, (key, message) => fail(at(key), message));
    // A CPU model (llama.cpp) has no GPU pool to check against.
    if (model.engine === "llamacpp") return;
    if (model.gpuPool === undefined) {
      fail(at("gpuPool"), "required with engine \"vllm\": the GPU pool (cluster.gpuPools[].name) to run on; or serve a GGUF on CPU with engine: llamacpp");
      return;
    }
    const pool = capacities.find((candidate) => candidate.name === model.gpuPool);
    if (!pool) {
      const known = capacities.map((candidate) => candidate.name);
      fail(at("gpuPool"), known.length === 0
        ? "serving needs GPUs, but cluster.gpuPools is empty: add a GPU pool"
        : `no GPU pool named "${model.gpuPool}"; cluster.gpuPools has: ${known.join(", ")}`);
      return;
    }
    if (cluster.provider === "eks") {
      const poolIndex = cluster.gpuPools.findIndex((candidate) => candidate.name === pool.name);
      const request = model.requests ?? replicaRequests(model.gpuCount);
      cluster.gpuPools[poolIndex]!.instanceTypes.forEach((type, typeIndex) => {
        const node = eksGpuInstances[type];
        if (!node || node.gpus < model.gpuCount || fitsNode(request, node)) return;
        const source = model.requests ? "models[].requests" : `${requestPerGpu.cpu} CPU and ${requestPerGpu.memoryGiB} GiB per GPU`;
        fail(at("gpuPool"), `a replica requests ${request.cpu} CPU and ${request.memoryGiB} GiB (${source}), ` +
          `which do not fit a ${type} node (cluster.gpuPools[${poolIndex}].instanceTypes[${typeIndex}]: ${node.vcpus} vCPU, ${node.memoryGiB} GiB, ` +
          `less about ${nodeReserve.cpu} vCPU and ${nodeReserve.memoryGiB} GiB for the kubelet and DaemonSets); cluster-autoscaler sizes new nodes ` +
          "from the first instance type and the group may launch any of them, so the pod would stay Pending: list only types that fit, or lower the requests");
      });
    }
    if (cluster.provider === "eks") checkNodeDisk(model, index, cluster, fail);
    if (pool.gpusPerNode > 0 && model.gpuCount > pool.gpusPerNode) {
      fail(at("gpuCount"), `${model.gpuCount} GPUs do not fit on one node of pool "${pool.name}" (${pool.gpusPerNode} per node)`);
    } else if (pool.gpusPerNode > 0 && model.maxReplicas * model.gpuCount > pool.maxNodes * pool.gpusPerNode) {
      fail(at("maxReplicas"), `${model.maxReplicas} replicas x ${model.gpuCount} GPUs exceed pool "${pool.name}" (at most ${pool.maxNodes * pool.gpusPerNode} GPUs)`);
    }
  });

  // Both versions of a model run at once, on its pool, next to the pool's other releases: a canary
  // that cannot be scheduled would roll its release back after the whole release timeout.
  config.models.forEach((model, index) => {
    const pool = capacities.find((candidate) => candidate.name === model.gpuPool);
    if (!model.canary || model.engine !== "vllm" || !pool || pool.gpusPerNode <= 0) return;
    const room = pool.maxNodes * pool.gpusPerNode;
    const one = model.maxReplicas * model.gpuCount;
    const demand = poolGpuDemand(config.models, pool.name);
    if (one <= room && demand > room) {
      const others = demand - 2 * one;
      fail(["models", index, "canary"], `the stable and canary versions each run up to ${model.maxReplicas} replica${model.maxReplicas === 1 ? "" : "s"} x ${model.gpuCount} GPU${model.gpuCount === 1 ? "" : "s"}, ${2 * one} GPUs together` +
        `${others > 0 ? ` (${demand} with the pool's other releases)` : ""}, more than pool "${pool.name}" has (${room}): raise the pool's maximum size, or lower maxReplicas`);
    }
  });

  const { addons, tls } = config;
  if (addons.ingress.enabled && !addons.certManager.enabled) {
    fail(["addons", "certManager", "enabled"], "must be true while addons.ingress is enabled: every exposed endpoint gets TLS from cert-manager");
  }
  if (config.models.some((model) => model.maxReplicas > model.minReplicas) && !addons.monitoring.enabled) {
    fail(["addons", "monitoring", "enabled"], "must be true when a model autoscales (maxReplicas > minReplicas): the autoscaler reads queue depth from Prometheus");
  }
  if (addons.monitoring.enabled) {
    const { slo } = addons.monitoring;
    if (addons.monitoring.retentionDays < 3) {
      fail(["addons", "monitoring", "retentionDays"], "must be >= 3: the slow SLO burn-rate alerts look back over 3 days of samples");
    }
    config.models.forEach((model, index) => {
      if (model.engine === "vllm" && model.gpuMemoryUtilization >= slo.gpuMemoryPressure) {
        fail(["models", index, "gpuMemoryUtilization"], `${model.gpuMemoryUtilization} reserves at least addons.monitoring.slo.gpuMemoryPressure (${slo.gpuMemoryPressure}) of GPU memory up front, so the GPU memory pressure alert would never stop firing; lower one or raise the other`);
      }
    });
  }
  if (addons.argoWorkflows.pipeline && !addons.argoWorkflows.enabled) {
    fail(["addons", "argoWorkflows", "pipeline"], "needs addons.argoWorkflows.enabled: true");
  }
  if (addons.argoWorkflows.enabled && addons.argoWorkflows.pipeline) {
    if (gpuPoolCapacities(cluster).length === 0) {
      fail(["addons", "argoWorkflows", "pipeline"], "the pipeline trains on a GPU, but cluster.gpuPools is empty: add a GPU pool or set pipeline: false");
    }
    if (cluster.provider === "k3s" && !cluster.objectStorage) {
      fail(["addons", "argoWorkflows", "pipeline"], "the pipeline keeps datasets, artifacts and models in object storage: set cluster.objectStorage or pipeline: false");
    } else if (cluster.provider === "k3s") {
      // Its steps reach the bucket through workload identity; an S3-compatible store would need
      // static access keys, which the platform does not take (yet).
      fail(["addons", "argoWorkflows", "pipeline"], "needs a cloud cluster (eks or gke): its steps reach the bucket through workload identity, and the S3-compatible cluster.objectStorage of a k3s cluster has none (no access keys are configured); set pipeline: false");
    }
  }
  if (addons.mlflow.enabled === true && cluster.provider === "k3s") {
    // Its artifacts live in the bucket, reached through workload identity, which k3s has not.
    fail(["addons", "mlflow", "enabled"], "needs a cloud cluster (eks or gke): the registry keeps its artifacts in the stack's bucket through workload identity, which a k3s cluster has none of; set enabled: false");
  }
  checkLifecycleRules(config, fail);
  if (addons.logging.enabled) {
    if (addons.logging.elasticsearchNodes === 2) {
      fail(["addons", "logging", "elasticsearchNodes"], "2 Elasticsearch nodes cannot keep a quorum when one fails; use 1 or 3+");
    }
    if (config.environment === "prod" && addons.logging.elasticsearchNodes < 3) {
      fail(["addons", "logging", "elasticsearchNodes"], "prod needs at least 3 Elasticsearch nodes");
    }
  }
  if (tls.issuer !== "private-ca") {
    if (!addons.ingress.enabled) fail(["tls", "issuer"], `"${tls.issuer}" answers HTTP-01 challenges through the ingress controller: needs addons.ingress.enabled: true, or use "private-ca"`);
    if (!tls.acmeEmail) fail(["tls", "acmeEmail"], `required when tls.issuer is "${tls.issuer}": Let's Encrypt sends expiry notices there`);
    if (!publicDomain(config.domain)) fail(["tls", "issuer"], `Let's Encrypt cannot issue for "${config.domain}"; use "private-ca" for private domains`);
  }
}

type EksConfig = Extract<Parsed["cluster"], { provider: "eks" }>;

/** EKS-only rules: network sizing, HA in prod, and access entries. */
function checkEksRules(config: Parsed, cluster: EksConfig, fail: (path: Path, message: string) => void): void {
  const prefix = Number(cluster.vpcCidr.split("/")[1]);
  if (prefix < 16 || prefix > 20) {
    fail(["cluster", "vpcCidr"], `a /${prefix} VPC cannot be used: AWS allows /16 at most, and below /20 the private subnets run out of pod IPs (the VPC CNI gives every pod a VPC address); use /16 to /20`);
  }
  if (cluster.publicAccessCidrs.length === 0 && cluster.privateAccessCidrs.length === 0) {
    fail(["cluster", "publicAccessCidrs"], "empty makes the API endpoint private, but nothing says how `pulumi up` reaches it, so every Kubernetes resource would time out once the cluster exists. " +
      "Either list here the egress CIDRs of where Pulumi runs (office, VPN, CI runners), or set cluster.privateAccessCidrs to the network Pulumi runs from " +
      "that is routed into the VPC (VPN, peering or Transit Gateway, a self-hosted runner)");
  }
  // ARNs name their partition, and a region belongs to exactly one: GovCloud's is aws-us-gov.
  const partition = cluster.region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  const roles: [Path, string | undefined][] = [
    ...cluster.adminRoleArns.map((arn, index): [Path, string] => [["cluster", "adminRoleArns", index], arn]),
    [["cluster", "deployerRoleArn"], cluster.deployerRoleArn],
  ];
  for (const [path, arn] of roles) {
    const given = arn?.split(":")[1];
    if (given !== undefined && given !== partition) {
      fail(path, `is in partition "${given}", but cluster.region ${cluster.region} is in "${partition}", where EKS cannot use it: arn:${partition}:iam::...`);
    }
  }
  cluster.adminRoleArns.forEach((arn, index) => {
    if (cluster.adminRoleArns.indexOf(arn) !== index) fail(["cluster", "adminRoleArns", index], "duplicate role; EKS allows one access entry per principal");
    if (arn === cluster.deployerRoleArn) fail(["cluster", "adminRoleArns", index], "is also cluster.deployerRoleArn, which gets its own access entry; EKS allows one access entry per principal: remove it here");
  });
  if (config.environment !== "prod") return;
  if (cluster.availabilityZones < 3) {
    fail(["cluster", "availabilityZones"], "prod spans 3 AZs, so that losing one AZ leaves a majority of nodes and subnets");
  }
  if (cluster.natGateways !== "perAz") {
    fail(["cluster", "natGateways"], "must be \"perAz\" in prod: with a single NAT gateway, one AZ outage cuts every private subnet off the internet");
  }
  const servingPools = new Set(config.models.map((model) => model.gpuPool));
  cluster.gpuPools.forEach((pool, index) => {
    if (!servingPools.has(pool.name)) return;
    if (pool.spot) fail(["cluster", "gpuPools", index, "spot"], `must be false in prod: pool "${pool.name}" serves a model, and a spot reclaim takes its GPUs away mid-request`);
    if (pool.minSize < 1) fail(["cluster", "gpuPools", index, "minSize"], `must be >= 1 in prod: pool "${pool.name}" serves a model, and a GPU node from zero takes minutes to boot and load weights`);
  });
}

/**
 * What a vLLM model puts on its GPU node's own disk must fit what the node offers pods: a per-pod
 * cache on the NVMe instance store (with vLLM's home), and the weights sync's download. Otherwise
 * the pod stays Pending, or cluster-autoscaler never scales the pool up for it.
 */
function checkNodeDisk(model: Parsed["models"][number], index: number, cluster: Extract<Parsed["cluster"], { provider: "eks" }>, fail: (path: Path, message: string) => void): void {
  const poolIndex = cluster.gpuPools.findIndex((candidate) => candidate.name === model.gpuPool);
  const pool = cluster.gpuPools[poolIndex];
  // An unknown instance type is reported on its own; its disk is unknown too.
  if (!pool || pool.instanceTypes.some((type) => eksGpuInstances[type] === undefined)) return;
  const offered = poolEphemeralStorageGiB(pool, (type) => eksGpuInstances[type]?.nvmeGB ?? 0);
  const where = usesLocalNvme(pool)
    ? `the NVMe instance store of its smallest type (${Math.min(...pool.instanceTypes.map((type) => eksGpuInstances[type]?.nvmeGB ?? 0))} GB), less 15% for eviction and 30 GiB for images`
    : `its ${pool.diskSizeGiB} GiB root volume, less 15% for eviction and 30 GiB for images`;
  if (usesLocalNvme(pool) && model.maxReplicas > 1 && model.cacheGiB + vllmHomeLimitGiB > offered) {
    fail(["models", index, "cacheGiB"], `${model.cacheGiB} GiB plus ${vllmHomeLimitGiB} GiB for vLLM's home do not fit a node of pool "${pool.name}", which offers pods ${offered} GiB (${where}): lower cacheGiB or pick larger instance types`);
  }
  const weights = model.weightsGiB ?? knownWeightsGiB(model.model);
  // A registry version is never downloaded from the Hub: no weights sync runs for it.
  if (model.weightsFrom === "bucket" && model.registry === undefined && weights !== undefined && hubSyncDownloadGiB(weights) > offered) {
    fail(["cluster", "gpuPools", poolIndex, usesLocalNvme(pool) ? "instanceTypes" : "diskSizeGiB"],
      `the weights sync of models[${index}] downloads ${hubSyncDownloadGiB(weights)} GiB onto a node of this pool, which offers pods ${offered} GiB (${where})`);
  }
}

/**
 * A release whose timeout, computed from the weights (components/serving/cold-start.ts), exceeds
 * what a `pulumi up` may wait for is refused here rather than rolled back by Helm after an hour.
 */
function checkServingBudget(model: Parsed["models"][number], cacheMiBps: number | undefined, fail: (key: string, message: string) => void): void {
  const { plan, budgets } = servingPlan(model, cacheMiBps);
  if (budgets.releaseTimeoutSeconds <= maxReleaseTimeoutSeconds) return;
  const min = (seconds: number) => `${Math.round(seconds / 60)} min`;
  const key = model.loadThroughputMiBps !== undefined ? "loadThroughputMiBps" : plan.path === "bucket-stream" ? "maxReplicas" : plan.path === "hub" ? "weightsFrom" : "bucketLoad";
  fail(key, `the release would wait up to ${min(budgets.releaseTimeoutSeconds)}, more than the ${min(maxReleaseTimeoutSeconds)} a release may take: ` +
    `${plan.weightsGiB} GiB of weights (${plan.weightsSource}) at ${plan.throughputMiBps} MiB/s (${plan.throughputSource}) need a startup probe of ${min(budgets.startupSeconds)} ` +
    `and a progress deadline of ${min(budgets.progressDeadlineSeconds)}, once per replica (maxReplicas ${model.maxReplicas}) in a rollout. ` +
    "Stream the weights from the bucket (weightsFrom: bucket, bucketLoad: stream), give the cache volume more throughput (cluster.modelCacheVolume on EKS), or lower maxReplicas");
}
