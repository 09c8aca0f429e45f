import * as pulumi from "@pulumi/pulumi";
import { EksCluster } from "../components/cluster/eks-cluster";
import { ExistingCluster } from "../components/cluster/existing-cluster";
import type { PlatformCluster } from "../components/cluster/types";
import { eksGpuInstances } from "./config/cluster-eks";
import type { LoadedConfig } from "./config";

/** Picks the cluster component for `cluster.provider`; add-ons only ever see the PlatformCluster. */
export function createCluster(name: string, config: LoadedConfig): PlatformCluster {
  const { cluster } = config;
  switch (cluster.provider) {
    case "k3s":
      return new ExistingCluster(name, {
        kubeconfig: config.secrets.kubeconfig!,
        gpuRuntimeClass: cluster.gpuRuntimeClass,
        storageClass: cluster.storageClass,
        gpuPools: cluster.gpuPools,
        objectStorage: cluster.objectStorage,
      });
    case "eks":
      return new EksCluster(name, {
        ...cluster,
        gpuPools: cluster.gpuPools.map((pool) => {
          // Validation guarantees every type is in the table and all have the same GPU count.
          const shape = eksGpuInstances[pool.instanceTypes[0]!]!;
          return { ...pool, gpusPerNode: shape.gpus, gpuModel: shape.gpu };
        }),
      });
    case "gke":
      throw new pulumi.RunError(`cluster.provider "${cluster.provider}" is not implemented yet; use "eks" or "k3s"`);
  }
}
