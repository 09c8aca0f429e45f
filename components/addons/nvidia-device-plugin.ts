import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GpuPool } from "../cluster/types";
import { charts } from "../versions";
import { chartRelease } from "./chart-release";
import { podSecurityLabels } from "./pod-security";

export interface NvidiaDevicePluginArgs {
  readonly provider: k8s.Provider;
  /** The plugin runs only on these pools' nodes, tolerating their taints. */
  readonly gpuPools: readonly GpuPool[];
  /** @default "nvidia-device-plugin" */
  readonly namespace?: string;
}

/** A required node affinity that matches exactly the nodes carrying all of `labels`. */
export function poolAffinity(labels: Readonly<Record<string, string>>) {
  const matchExpressions = Object.entries(labels).map(([key, value]) => ({ key, operator: "In", values: [value] }));
  return { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } } };
}

/** Advertises `nvidia.com/gpu` on GPU nodes; one DaemonSet per pool, so each gets its own selector. */
export class NvidiaDevicePlugin extends pulumi.ComponentResource {
  readonly releases: k8s.helm.v3.Release[];

  constructor(name: string, args: NvidiaDevicePluginArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:addon:NvidiaDevicePlugin", name, {}, opts);
    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: args.namespace ?? "nvidia-device-plugin",
          // The plugin mounts the kubelet's device-plugin socket directory (hostPath), which baseline forbids.
          labels: podSecurityLabels("privileged"),
        },
      },
      { parent: this, provider: args.provider },
    );
    this.releases = args.gpuPools.map((pool) =>
      chartRelease(
        `${name}-${pool.name}`,
        charts.nvidiaDevicePlugin,
        {
          namespace: namespace.metadata.name,
          values: {
            nodeSelector: pool.scheduling.nodeSelector,
            // The chart's default affinity requires labels from node-feature-discovery (or
            // nvidia.com/gpu.present), which our nodes do not carry; the pool's own labels select them.
            // Helm replaces lists, so this term list replaces the default one.
            affinity: poolAffinity(pool.scheduling.nodeSelector),
            tolerations: pool.scheduling.tolerations,
            ...(pool.scheduling.runtimeClassName ? { runtimeClassName: pool.scheduling.runtimeClassName } : {}),
            // GPU feature discovery needs node-feature-discovery; the pool labels already say what the GPU is.
            gfd: { enabled: false },
          },
        },
        { parent: this, provider: args.provider },
      ),
    );
    this.registerOutputs({ releases: this.releases.map((release) => release.status) });
  }
}
