import * as gcp from "./gcp-services";
import type * as pulumi from "@pulumi/pulumi";
import { gpuNodeConventions } from "../types";

export interface GkeSystemPoolArgs {
  readonly machineType: string;
  /** Per zone. */
  readonly minSize: number;
  /** Per zone. */
  readonly maxSize: number;
}

export interface GkeGpuPoolArgs {
  readonly name: string;
  /** Must carry `accelerator` (g2 for L4, a2 for A100, a3 for H100); the config rules check the pair. */
  readonly machineType: string;
  readonly accelerator: { readonly type: string; readonly count: number; readonly driverVersion: "LATEST" | "DEFAULT" };
  /** Total over the pool's zones. */
  readonly minSize: number;
  /** Total over the pool's zones. */
  readonly maxSize: number;
  readonly spot: boolean;
  readonly diskSizeGb: number;
}

export interface GkeNodePoolsArgs {
  readonly cluster: gcp.container.Cluster;
  readonly location: string;
  /** Empty: GKE's default zones of the region. */
  readonly zones: readonly string[];
  readonly serviceAccountEmail: pulumi.Input<string>;
  readonly systemPool: GkeSystemPoolArgs;
  readonly gpuPools: readonly GkeGpuPoolArgs[];
}

/**
 * Node settings every pool shares: the dedicated service account (IAM, not OAuth scopes, limits it),
 * Shielded VM, the GKE metadata server that Workload Identity needs, and no legacy metadata endpoints.
 */
export function baseNodeConfig(serviceAccountEmail: pulumi.Input<string>) {
  return {
    serviceAccount: serviceAccountEmail,
    oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
    imageType: "COS_CONTAINERD",
    shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
    workloadMetadataConfig: { mode: "GKE_METADATA" },
    metadata: { "disable-legacy-endpoints": "true" },
  };
}

const gkeTaintEffect = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" } as const;

/** The system pool, then one pool per GPU pool; both auto-upgrade and auto-repair with the release channel. */
export function createNodePools(name: string, args: GkeNodePoolsArgs, parentOpts: pulumi.CustomResourceOptions) {
  // The initial count only matters at creation (the autoscaler owns the size after that), and changing it
  // would force a new pool.
  const opts = { ...parentOpts, ignoreChanges: ["initialNodeCount"] };
  const common = {
    cluster: args.cluster.name,
    location: args.location,
    ...(args.zones.length > 0 ? { nodeLocations: [...args.zones] } : {}),
    management: { autoRepair: true, autoUpgrade: true },
  };
  const system = new gcp.container.NodePool(
    `${name}-system`,
    {
      ...common,
      autoscaling: { minNodeCount: args.systemPool.minSize, maxNodeCount: args.systemPool.maxSize },
      initialNodeCount: args.systemPool.minSize,
      nodeConfig: {
        ...baseNodeConfig(args.serviceAccountEmail),
        machineType: args.systemPool.machineType,
        diskType: "pd-balanced",
        diskSizeGb: 100,
      },
    },
    opts,
  );

  const { taint, poolLabel } = gpuNodeConventions;
  const gpu = args.gpuPools.map(
    (pool) =>
      new gcp.container.NodePool(
        `${name}-gpu-${pool.name}`,
        {
          ...common,
          // Totals, not per zone: "ANY" lets the autoscaler take whichever zone has GPU (or spot) capacity.
          autoscaling: { totalMinNodeCount: pool.minSize, totalMaxNodeCount: pool.maxSize, locationPolicy: "ANY" },
          initialNodeCount: 0,
          // A GPU quota rarely has room for a surge node: replace one node at a time instead.
          upgradeSettings: { strategy: "SURGE", maxSurge: 0, maxUnavailable: 1 },
          nodeConfig: {
            ...baseNodeConfig(args.serviceAccountEmail),
            machineType: pool.machineType,
            spot: pool.spot,
            diskType: "pd-balanced",
            diskSizeGb: pool.diskSizeGb,
            guestAccelerators: [
              {
                type: pool.accelerator.type,
                count: pool.accelerator.count,
                // GKE installs the driver and its own device plugin; NVIDIA's plugin must not be added.
                gpuDriverInstallationConfig: { gpuDriverVersion: pool.accelerator.driverVersion },
              },
            ],
            labels: { [poolLabel]: pool.name },
            // GKE adds the same taint itself, but only when a non-GPU pool exists at the time; declaring it
            // keeps non-GPU pods off these nodes whatever order the pools are created in.
            taints: [{ key: taint.key, value: taint.value, effect: gkeTaintEffect[taint.effect] }],
          },
        },
        opts,
      ),
  );
  return { system, gpu };
}
