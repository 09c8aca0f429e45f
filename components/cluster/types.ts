import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** The contract every cluster component (EKS, GKE, k3s) fulfils and every add-on consumes. */

export interface Toleration {
  readonly key: string;
  readonly operator: "Equal" | "Exists";
  readonly value?: string;
  readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** How a pod lands on a GPU pool's nodes. */
export interface GpuScheduling {
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
  /** Set where GPU pods need a RuntimeClass (k3s: "nvidia"); undefined on EKS and GKE. */
  readonly runtimeClassName?: string;
}

export interface GpuPool {
  readonly name: string;
  readonly gpusPerNode: number;
  readonly scheduling: GpuScheduling;
  /** MiB/s the nodes write images and emptyDir volumes at (root volume or instance store); unknown off EKS. */
  readonly rootVolumeMiBps?: number;
  /** The nodes' NVMe instance store holds emptyDir volumes: per-pod model caches go there. */
  readonly localNvme?: boolean;
}

/** The stack's bucket for model weights and pipeline artifacts. */
export interface ObjectStore {
  readonly kind: "s3" | "gcs" | "s3-compatible";
  readonly bucket: pulumi.Output<string>;
  /** `s3://bucket` or `gs://bucket`. */
  readonly url: pulumi.Output<string>;
  readonly region?: string;
  /** Only for "s3-compatible": the endpoint URL. */
  readonly endpoint?: string;
}

export type BucketAccess = "read" | "readwrite";

export interface ServiceAccountGrant {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** What the service account may do on the stack's bucket (and nothing else). */
  readonly bucketAccess: BucketAccess;
}

/** Gives a Kubernetes service account cloud access without static keys. */
export interface WorkloadIdentity {
  readonly kind: "irsa" | "gke-workload-identity" | "none";
  /**
   * Creates whatever the cloud needs (an IAM role, a GCP service account binding) under `parent`,
   * and returns the annotations to put on the Kubernetes service account.
   */
  grant(name: string, grant: ServiceAccountGrant, parent: pulumi.Resource): pulumi.Output<Record<string, string>>;
}

export interface PlatformCluster {
  readonly clusterName: pulumi.Output<string>;
  /** Every Kubernetes resource of the stack is created through this provider. */
  readonly provider: k8s.Provider;
  /** Secret. */
  readonly kubeconfig: pulumi.Output<string>;
  readonly gpuPools: readonly GpuPool[];
  /** The StorageClass persistent volumes use. */
  readonly storageClassName: string;
  /** Where model weights are cached, when it differs from `storageClassName`, and the MiB/s it writes at. */
  readonly modelCacheStorage?: { readonly storageClassName: string; readonly throughputMiBps: number };
  readonly identity: WorkloadIdentity;
  /** Absent when the stack has no object storage (k3s without an S3-compatible endpoint). */
  readonly objectStore?: ObjectStore;
  /** The cluster's OIDC issuer, where workload identity federates with the cloud (EKS); absent elsewhere. */
  readonly oidcIssuerUrl?: pulumi.Output<string>;
}

/** Looks up a pool by name, failing loudly: config validation should already have caught this. */
export function gpuPoolNamed(cluster: PlatformCluster, name: string): GpuPool {
  const pool = cluster.gpuPools.find((candidate) => candidate.name === name);
  if (!pool) throw new Error(`no GPU pool named "${name}" on this cluster`);
  return pool;
}

/** Label and taint conventions for GPU nodes on the clusters we build. */
export const gpuNodeConventions = {
  poolLabel: "llm-platform.io/gpu-pool",
  taint: { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" },
} as const;
