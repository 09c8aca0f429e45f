import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { noIdentity, s3CompatibleStore, type S3CompatibleStorageArgs } from "./k3s/shared";
import type { GpuPool, PlatformCluster, Toleration } from "./types";

export interface ExistingGpuPoolArgs {
  readonly name: string;
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: readonly Toleration[];
  readonly gpusPerNode: number;
}

export interface ExistingClusterArgs {
  /** Secret kubeconfig of the cluster to adopt. */
  readonly kubeconfig: pulumi.Input<string>;
  /** RuntimeClass for GPU pods, or null when the default runtime sees the GPUs. @default "nvidia" */
  readonly gpuRuntimeClass?: string | null;
  /** @default "local-path" */
  readonly storageClass?: string;
  /** @default [] */
  readonly gpuPools?: readonly ExistingGpuPoolArgs[];
  /** Optional S3-compatible bucket; nothing is created for it. */
  readonly objectStorage?: S3CompatibleStorageArgs;
}

/** Adopts a running cluster from a kubeconfig; builds nothing outside Kubernetes. */
export class ExistingCluster extends pulumi.ComponentResource implements PlatformCluster {
  readonly clusterName: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly gpuPools: readonly GpuPool[];
  readonly storageClassName: string;
  readonly identity = noIdentity;
  readonly objectStore?: PlatformCluster["objectStore"];

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:cluster:Existing", name, {}, opts);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.clusterName = pulumi.output(name);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });
    const runtimeClassName = args.gpuRuntimeClass === undefined ? "nvidia" : args.gpuRuntimeClass ?? undefined;
    this.gpuPools = (args.gpuPools ?? []).map((pool) => ({
      name: pool.name,
      gpusPerNode: pool.gpusPerNode,
      scheduling: { nodeSelector: pool.nodeSelector, tolerations: pool.tolerations, ...(runtimeClassName ? { runtimeClassName } : {}) },
    }));
    this.storageClassName = args.storageClass ?? "local-path";
    this.objectStore = s3CompatibleStore(args.objectStorage);
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
