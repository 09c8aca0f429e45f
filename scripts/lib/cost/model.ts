import {
  eksVersionOf,
  isServingRelease,
  loadBalancerServices,
  nodePools,
  platformOf,
  quantityGiB,
  regionOf,
  servedModels,
  type NodePool,
  type Platform,
  type ServedModel,
} from "../inventory";
import type { SynthResource } from "../synthesize";
import {
  eksExtendedSupportHourly,
  eksStandardSupportEnds,
  hoursPerMonth,
  notModeled,
  pricesAsOf,
  regions,
  spotFactor,
  type RegionPrices,
} from "./prices";

/** idle: pools at their minimum, models at their minimum replicas; configured: pools as `pulumi up` leaves them; max: every pool at its maximum. */
export const scenarios = ["idle", "configured", "max"] as const;
export type Scenario = (typeof scenarios)[number];

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly monthlyUsd: number;
}

export interface ScenarioCost {
  readonly monthlyUsd: number;
  readonly lines: readonly CostLine[];
}

export interface CostEstimate {
  readonly currency: "USD";
  readonly platform: Platform;
  readonly region: string | null;
  readonly pricesAsOf: string;
  readonly hoursPerMonth: number;
  readonly spotFactor: number;
  readonly scenarios: Readonly<Record<Scenario, ScenarioCost>>;
  /** Things the stack creates that the price table has no price for (their lines count $0). */
  readonly unpriced: readonly string[];
  readonly notModeled: readonly string[];
  readonly note: string | null;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Price arithmetic of one line: hourly prices × hours in a month, or a monthly unit price. */
export function line(item: string, quantity: number, unit: "hour" | "GiB-month" | "MiB/s-month" | "IOPS-month" | "month", unitUsd: number): CostLine {
  const monthlyUsd = quantity * unitUsd * (unit === "hour" ? hoursPerMonth : 1);
  return { item, quantity, unit, unitUsd, monthlyUsd: round2(monthlyUsd) };
}

export interface EksSupport {
  readonly version: string;
  /** End of standard support; undefined when the calendar table lacks the version. */
  readonly standardEnds: string | undefined;
  /** Days from the prices' date to the end of standard support (0 or less: in extended support). */
  readonly daysLeft: number | undefined;
}

/** Where the EKS cluster's Kubernetes minor stands on the prices' date (not today's, so a report is reproducible). */
export function eksSupport(resources: readonly SynthResource[]): EksSupport | undefined {
  const version = eksVersionOf(resources);
  if (version === undefined) return undefined;
  const standardEnds = eksStandardSupportEnds[version];
  const daysLeft = standardEnds === undefined ? undefined : Math.round((Date.parse(standardEnds) - Date.parse(pricesAsOf)) / 86_400_000);
  return { version, standardEnds, daysLeft };
}

function controlPlaneLine(resources: readonly SynthResource[], platform: Platform, prices: RegionPrices, unpriced: Set<string>): CostLine {
  if (platform !== "eks") return line("GKE cluster management fee", 1, "hour", prices.controlPlaneHourly);
  const support = eksSupport(resources);
  if (support && support.daysLeft === undefined) unpriced.add(`EKS support dates of Kubernetes ${support.version}`);
  if (support?.daysLeft !== undefined && support.daysLeft <= 0) {
    return line(`EKS control plane (Kubernetes ${support.version} in extended support)`, 1, "hour", eksExtendedSupportHourly);
  }
  return line("EKS control plane", 1, "hour", prices.controlPlaneHourly);
}

/** GPUs that the models on a pool need at a replica count, as nodes of that pool. */
function nodesForModels(pool: NodePool, models: readonly ServedModel[], replicas: (model: ServedModel) => number): number {
  if (pool.gpusPerNode <= 0) return 0;
  const gpus = models.filter((model) => model.pool === pool.name).reduce((sum, model) => sum + replicas(model) * model.gpuCount, 0);
  return Math.ceil(gpus / pool.gpusPerNode);
}

/** Nodes a pool runs in a scenario: a model's minimum replicas keep nodes up even on a pool whose minimum is 0. */
export function poolNodes(pool: NodePool, models: readonly ServedModel[], scenario: Scenario): number {
  const forModels = nodesForModels(pool, models, (model) => model.minReplicas);
  if (scenario === "idle") return Math.max(pool.min, forModels);
  if (scenario === "configured") return Math.max(pool.initial, forModels);
  return pool.max;
}

/** Persistent volumes in chart values and custom resources: every volumeClaimTemplate(s) times its replicas/count. */
export function claimedVolumes(resources: readonly SynthResource[]): { item: string; gib: number }[] {
  const found: { item: string; gib: number }[] = [];
  const storageOf = (template: unknown) =>
    quantityGiB((template as { spec?: { resources?: { requests?: { storage?: unknown } } } } | undefined)?.spec?.resources?.requests?.storage);
  let root = "";
  const walk = (value: unknown, owner: string, copies: number): void => {
    if (Array.isArray(value)) return value.forEach((inner) => walk(inner, owner, copies));
    if (!value || typeof value !== "object") return;
    const object = value as Record<string, unknown>;
    const here = typeof object.replicas === "number" ? object.replicas : typeof object.count === "number" ? object.count : copies;
    for (const [key, inner] of Object.entries(object)) {
      if (key === "volumeClaimTemplate") found.push({ item: owner, gib: here * storageOf(inner) });
      else if (key === "volumeClaimTemplates" && Array.isArray(inner)) inner.forEach((t) => found.push({ item: owner, gib: here * storageOf(t) }));
      // Named by the resource and the first key below its spec or values ("…-monitoring-release prometheus").
      else walk(inner, key === "spec" || key === "values" || owner !== root ? owner : `${owner} ${key}`, here);
    }
  };
  for (const resource of resources) {
    root = resource.name;
    if (!isServingRelease(resource)) walk(resource.inputs, root, 1);
  }
  return found.filter((volume) => volume.gib > 0);
}

const gp3Baseline = { throughputMiBps: 125, iops: 3000 };

/** gp3 throughput and IOPS provisioned above the free baseline, for `volumes` volumes alike. */
function gp3ProvisionedLines(item: string, volumes: number, throughputMiBps: number | undefined, iops: number | undefined, prices: RegionPrices): CostLine[] {
  if (!prices.gp3Provisioned) return [];
  const extraThroughput = Math.max(0, (throughputMiBps ?? gp3Baseline.throughputMiBps) - gp3Baseline.throughputMiBps);
  const extraIops = Math.max(0, (iops ?? gp3Baseline.iops) - gp3Baseline.iops);
  return [
    line(`${item}: gp3 throughput over ${gp3Baseline.throughputMiBps} MiB/s`, volumes * extraThroughput, "MiB/s-month", prices.gp3Provisioned.perMiBpsMonth),
    line(`${item}: gp3 IOPS over ${gp3Baseline.iops}`, volumes * extraIops, "IOPS-month", prices.gp3Provisioned.perIopsMonth),
  ];
}

/** The parameters of the StorageClass the program creates under `name` (the cluster default when absent). */
function storageClassParameters(resources: readonly SynthResource[], name: string | undefined): Record<string, string> {
  const classes = resources.filter((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass");
  const found = classes.find((r) => (r.inputs.metadata as { name?: string } | undefined)?.name === name);
  return ((found?.inputs.parameters as Record<string, string> | undefined) ?? {});
}

function cloudLines(resources: readonly SynthResource[], prices: RegionPrices, scenario: Scenario, unpriced: Set<string>): CostLine[] {
  const platform = platformOf(resources);
  const count = (type: string) => resources.filter((resource) => resource.type === type).length;
  const models = servedModels(resources);
  const pools = nodePools(resources);
  const lines: CostLine[] = [controlPlaneLine(resources, platform, prices, unpriced)];

  let nodes = 0;
  for (const pool of pools) {
    const n = poolNodes(pool, models, scenario);
    nodes += n;
    const onDemand = prices.machines[pool.machineType];
    if (onDemand === undefined) unpriced.add(`machine type ${pool.machineType}`);
    const hourly = (onDemand ?? 0) * (pool.spot ? spotFactor : 1);
    lines.push(line(`nodes ${pool.name}: ${pool.machineType}${pool.spot ? ` spot (×${spotFactor})` : ""}`, n, "hour", hourly));
    const diskPrice = prices.volumeGiBMonth[pool.diskType];
    if (diskPrice === undefined) unpriced.add(`volume type ${pool.diskType}`);
    lines.push(line(`node disks ${pool.name}: ${pool.diskType}`, n * pool.diskGiB, "GiB-month", diskPrice ?? 0));
    if (pool.diskType === "gp3") lines.push(...gp3ProvisionedLines(`node disks ${pool.name}`, n, pool.diskThroughputMiBps, pool.diskIops, prices));
  }

  if (platform === "eks") {
    lines.push(line("NAT gateways", count("aws:ec2/natGateway:NatGateway"), "hour", prices.natGatewayHourly));
    lines.push(line("public IPv4 (Elastic IPs)", count("aws:ec2/eip:Eip"), "hour", prices.publicIpv4Hourly));
  } else if (count("gcp:compute/routerNat:RouterNat") > 0) {
    // Cloud NAT bills per VM using it (capped), plus the address it allocates (AUTO_ONLY: at least one).
    const perVm = Math.min(nodes * (prices.natPerVmHourly ?? 0), prices.natMaxHourly ?? Infinity);
    lines.push(line(`Cloud NAT (${nodes} VMs)`, 1, "hour", perVm));
    lines.push(line("public IPv4 (Cloud NAT address)", 1, "hour", prices.publicIpv4Hourly));
  }

  const elbSubnets = resources.filter((r) => r.type === "aws:ec2/subnet:Subnet" && (r.inputs.tags as Record<string, string> | undefined)?.["kubernetes.io/role/elb"]);
  for (const resource of resources) {
    for (const service of loadBalancerServices(resource)) {
      if (platform === "eks") {
        const type = service.annotations["service.beta.kubernetes.io/aws-load-balancer-type"];
        const kind = type === "nlb" || type === "external" ? "nlb" : "classic";
        lines.push(line(`load balancer (${kind}) ${resource.name}`, 1, "hour", prices.loadBalancerHourly[kind] ?? 0));
        // Internet-facing: one public IPv4 per subnet (AZ) it spans.
        if (service.annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"] !== "internal") {
          lines.push(line(`public IPv4 (load balancer) ${resource.name}`, elbSubnets.length, "hour", prices.publicIpv4Hourly));
        }
      } else {
        lines.push(line(`load balancer (forwarding rule) ${resource.name}`, 1, "hour", prices.loadBalancerHourly.forwardingRule ?? 0));
      }
    }
  }

  const pvc = prices.volumeGiBMonth[prices.pvcVolumeType] ?? 0;
  for (const volume of claimedVolumes(resources)) lines.push(line(`volumes ${volume.item}: ${prices.pvcVolumeType}`, volume.gib, "GiB-month", pvc));
  for (const model of models) {
    const replicas = scenario === "max" ? model.maxReplicas : model.minReplicas;
    const gib = model.cachePerPodGiB * replicas + model.cacheSharedGiB;
    if (gib > 0) lines.push(line(`model cache ${model.name}: ${prices.pvcVolumeType}`, gib, "GiB-month", pvc));
    const volumes = (model.cacheSharedGiB > 0 ? 1 : 0) + (model.cachePerPodGiB > 0 ? replicas : 0);
    const storageClass = storageClassParameters(resources, model.cacheStorageClass);
    if (storageClass.type === "gp3") {
      lines.push(...gp3ProvisionedLines(`model cache ${model.name}`, volumes, Number(storageClass.throughput) || undefined, Number(storageClass.iops) || undefined, prices));
    }
  }
  lines.push(line("KMS keys", count("aws:kms/key:Key") + count("gcp:kms/cryptoKey:CryptoKey"), "month", prices.kmsKeyMonthly));
  return lines.filter((entry) => entry.quantity > 0);
}

/** Monthly cost of a synthesized stack in the three scenarios, from the price table. */
export function estimateCost(resources: readonly SynthResource[]): CostEstimate {
  const platform = platformOf(resources);
  const region = regionOf(resources) ?? null;
  const unpriced = new Set<string>();
  const prices = region ? regions[region] : undefined;
  if (platform !== "k3s" && !prices) unpriced.add(`region ${region ?? "(none)"}`);
  const costOf = (scenario: Scenario): ScenarioCost => {
    const lines = platform === "k3s" || !prices ? [] : cloudLines(resources, prices, scenario, unpriced);
    return { monthlyUsd: round2(lines.reduce((sum, entry) => sum + entry.monthlyUsd, 0)), lines };
  };
  const byScenario: Record<Scenario, ScenarioCost> = { idle: costOf("idle"), configured: costOf("configured"), max: costOf("max") };
  return {
    currency: "USD",
    platform,
    region,
    pricesAsOf,
    hoursPerMonth,
    spotFactor,
    scenarios: byScenario,
    unpriced: [...unpriced].sort(),
    notModeled,
    note: platform === "k3s" ? "k3s runs on machines you own: $0 cloud cost (hardware, power and bandwidth are not modeled)" : null,
  };
}
