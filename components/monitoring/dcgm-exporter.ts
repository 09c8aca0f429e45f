import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../addons/chart-release";
import { nodeCriticalPriority, nodeCriticalQuota } from "../addons/priority-class";
import type { GpuPool } from "../cluster/types";
import { charts } from "../versions";

export interface DcgmExporterArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  /** One exporter DaemonSet per pool, with that pool's selector, tolerations and RuntimeClass. */
  readonly gpuPools: readonly GpuPool[];
  /** The Prometheus Operator CRDs release: the chart ships a ServiceMonitor. */
  readonly crds: pulumi.Resource;
  /**
   * Where the node keeps the NVIDIA driver when containers only get it by requesting a GPU (GKE's
   * Container-Optimized OS: `/home/kubernetes/bin/nvidia`); unset where the NVIDIA runtime provides it.
   */
  readonly nvidiaDriverHostPath?: string;
  /**
   * Whether the cluster admits `system-node-critical` pods only in namespaces with a ResourceQuota for
   * that class, as GKE does (its `gcp-critical-pods` quota exists in kube-system only). @default false
   */
  readonly criticalPodsNeedQuota?: boolean;
}

/** The exporter chart's own priorityClassName (dcgm-exporter 4.8.2 values.yaml), which the values keep. */
export const dcgmExporterPriorityClass = nodeCriticalPriority;

/** GKE installs the driver here on COS nodes; GKE's DCGM guide mounts it at /usr/local/nvidia. */
export const gkeNvidiaDriverHostPath = "/home/kubernetes/bin/nvidia";
const driverMountPath = "/usr/local/nvidia";

/** The chart's default metrics-list mount, repeated: setting `extraVolumeMounts` replaces the default list. */
const countersMount = { name: "exporter-metrics-volume", mountPath: "/etc/dcgm-exporter/default-counters.csv", subPath: "default-counters.csv" };

/**
 * The exporter loads NVML from the driver. On COS only containers that request a GPU get the driver
 * libraries and the /dev/nvidia* device nodes, and the exporter requests none: mount the host's driver
 * directory, point the loader at its lib64, and run privileged so that NVML can open the devices (a
 * device cgroup admits them to privileged containers only; GKE's own DCGM manifests do the same).
 */
function driverFromHost(hostPath: string | undefined) {
  if (!hostPath) return {};
  return {
    extraHostVolumes: [{ name: "nvidia-driver", hostPath }],
    extraVolumeMounts: [countersMount, { name: "nvidia-driver", mountPath: driverMountPath, readOnly: true }],
    extraEnv: [{ name: "LD_LIBRARY_PATH", value: `${driverMountPath}/lib64` }],
    // Replaces the chart's whole securityContext: its allowPrivilegeEscalation: false next to
    // privileged: true is a pod the API server rejects.
    securityContext: { privileged: true, allowPrivilegeEscalation: true, runAsNonRoot: false, runAsUser: 0 },
  };
}

/** Helm values for one pool's exporter; pure. */
export function dcgmExporterValues(pool: GpuPool, nvidiaDriverHostPath?: string) {
  return {
    ...driverFromHost(nvidiaDriverHostPath),
    nodeSelector: pool.scheduling.nodeSelector,
    tolerations: pool.scheduling.tolerations,
    ...(pool.scheduling.runtimeClassName ? { runtimeClassName: pool.scheduling.runtimeClassName } : {}),
    serviceMonitor: {
      enabled: true,
      // Keep the exporter's own pod/namespace labels (the GPU's workload) instead of the scrape target's,
      // so the dashboard can join GPU metrics to the vLLM pod using them.
      honorLabels: true,
    },
  };
}

/** NVIDIA DCGM exporter on every GPU pool's nodes, scraped by Prometheus through its ServiceMonitor. */
export class DcgmExporter extends pulumi.ComponentResource {
  readonly releases: k8s.helm.v3.Release[];

  constructor(name: string, args: DcgmExporterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:DcgmExporter", name, {}, opts);
    // Node-critical, so that a serving pod (which may preempt) never evicts the GPU metrics; where the
    // cluster rations that class by quota, the DaemonSet's pods are refused without one.
    const quota = args.criticalPodsNeedQuota
      ? nodeCriticalQuota(`${name}-critical-pods`, { name: "dcgm-exporter-critical-pods", namespace: args.namespace }, { parent: this, provider: args.provider })
      : undefined;
    this.releases = args.gpuPools.map((pool) =>
      chartRelease(
        `${name}-${pool.name}`,
        charts.dcgmExporter,
        { namespace: args.namespace, values: dcgmExporterValues(pool, args.nvidiaDriverHostPath) },
        { parent: this, provider: args.provider, dependsOn: [args.crds, ...(quota ? [quota] : [])] },
      ),
    );
    this.registerOutputs({ releases: this.releases.map((release) => release.status) });
  }
}
