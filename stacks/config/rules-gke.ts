import { gkeAccelerators, gkeGpuMachineTypes, type GkeClusterConfig } from "./cluster-gke";
import type { Parsed, Path } from "./rules";

/** [first, last] address of an IPv4 CIDR as unsigned 32-bit numbers. */
function cidrRange(cidr: string): [number, number] {
  const [address, bits] = cidr.split("/");
  const base = address!.split(".").reduce((total, octet) => total * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = base - (base % size);
  return [first, first + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [aFirst, aLast] = cidrRange(a);
  const [bFirst, bLast] = cidrRange(b);
  return aFirst <= bLast && bFirst <= aLast;
}

/** GKE mistakes that would otherwise surface only minutes into `pulumi up`, as API errors. */
export function checkGkeRules(cluster: GkeClusterConfig, environment: Parsed["environment"], fail: (path: Path, message: string) => void): void {
  cluster.gpuPools.forEach((pool, index) => {
    const at = (...rest: Path): Path => ["cluster", "gpuPools", index, ...rest];
    const family = pool.machineType.split("-")[0];
    const expectedFamily = gkeAccelerators[pool.accelerator.type];
    const known = gkeGpuMachineTypes[pool.machineType];
    if (family !== expectedFamily) {
      fail(at("machineType"), `${pool.accelerator.type} is only available on ${expectedFamily} machine types, not ${family}`);
    } else if (!known) {
      return; // the machine type's own check names the allowed sizes
    } else if (known.accelerator !== pool.accelerator.type) {
      fail(at("accelerator", "type"), `${pool.machineType} comes with ${known.accelerator}, not ${pool.accelerator.type}`);
    } else if (known.count !== pool.accelerator.count) {
      fail(at("accelerator", "count"), `${pool.machineType} comes with exactly ${known.count} x ${known.accelerator}; pick the machine size for ${pool.accelerator.count} GPUs instead`);
    }
  });

  cluster.nodeZones.forEach((zone, index) => {
    if (!zone.startsWith(`${cluster.region}-`)) {
      fail(["cluster", "nodeZones", index], `${zone} is not in cluster.region ${cluster.region}; a regional cluster's nodes must be in its region`);
    }
  });
  if (cluster.gpuPools.length > 0 && cluster.nodeZones.length === 0) {
    const types = [...new Set(cluster.gpuPools.map((pool) => pool.accelerator.type))].join(" or ");
    fail(["cluster", "nodeZones"], `list the zones of ${cluster.region} that have ${types} (gcloud compute accelerator-types list --filter="zone~${cluster.region}"); GKE's default zones may not, and the GPU pool would fail to create`);
  }
  const zones = cluster.nodeZones;
  zones.forEach((zone, index) => {
    if (zones.indexOf(zone) !== index) fail(["cluster", "nodeZones", index], `duplicate zone ${zone}`);
  });

  const { network } = cluster;
  if (!network.masterCidr.endsWith("/28")) {
    fail(["cluster", "network", "masterCidr"], "GKE requires a /28 for the control plane's private range");
  }
  const ranges = Object.entries(network) as [keyof typeof network, string][];
  ranges.forEach(([key, range], index) => {
    for (const [otherKey, other] of ranges.slice(0, index)) {
      if (cidrsOverlap(range, other)) fail(["cluster", "network", key], `${range} overlaps network.${otherKey} (${other}); nodes, pods, services and the control plane need disjoint ranges`);
    }
  });

  const { window, exclusions } = cluster.maintenance;
  [{ at: ["window"] as Path, ...window }, ...exclusions.map((exclusion, index) => ({ at: ["exclusions", index] as Path, ...exclusion }))].forEach((span) => {
    if (Date.parse(span.endTime) <= Date.parse(span.startTime)) {
      fail(["cluster", "maintenance", ...span.at, "endTime"], `must be after startTime (${span.startTime})`);
    }
  });
  if (!cluster.privateEndpoint && cluster.authorizedNetworks.length === 0) {
    fail(["cluster", "authorizedNetworks"], "a public control-plane endpoint needs at least one authorized network (or set privateEndpoint: true)");
  }
  cluster.authorizedNetworks.forEach((entry, index) => {
    if (environment === "prod" && entry.cidr.endsWith("/0")) {
      fail(["cluster", "authorizedNetworks", index, "cidr"], "prod never opens the control plane to the whole internet; list your office or VPN CIDRs");
    }
  });
}

