import type * as pulumi from "@pulumi/pulumi";
import { EksCluster } from "../components/cluster/eks-cluster";
import { ExistingCluster } from "../components/cluster/existing-cluster";
import { Gke } from "../components/cluster/gke";
import { K3sCluster } from "../components/cluster/k3s-cluster";
import type { PlatformCluster } from "../components/cluster/types";
import { eksGpuInstances } from "./config/cluster-eks";
import type { LoadedConfig } from "./config";

/** Picks the cluster component for `cluster.provider`; add-ons only ever see the PlatformCluster. */
export function createCluster(name: string, config: LoadedConfig, opts: pulumi.ComponentResourceOptions): PlatformCluster {
  const { cluster } = config;
  switch (cluster.provider) {
    case "k3s":
      if (cluster.mode === "provision") {
        return new K3sCluster(
          name,
          {
            servers: cluster.servers,
            agents: cluster.agents.map(({ gpu, gpuPool, gpusPerNode, ...host }) => ({
              ...host,
              // Config rules guarantee both are set exactly when gpu is true.
              ...(gpu && gpuPool && gpusPerNode ? { gpu: { pool: gpuPool, gpusPerNode } } : {}),
            })),
            ...(cluster.apiAddress ? { apiAddress: cluster.apiAddress } : {}),
            sshPrivateKey: config.secrets.sshPrivateKey!,
            ...(cluster.objectStorage ? { objectStorage: cluster.objectStorage } : {}),
          },
          opts,
        );
      }
      return new ExistingCluster(
        name,
        {
          kubeconfig: config.secrets.kubeconfig!,
          gpuRuntimeClass: cluster.gpuRuntimeClass,
          storageClass: cluster.storageClass,
          gpuPools: cluster.gpuPools,
          objectStorage: cluster.objectStorage,
        },
        opts,
      );
    case "gke":
      return new Gke(name, cluster, opts);
    case "eks":
      return new EksCluster(
        name,
        {
          ...cluster,
          gpuPools: cluster.gpuPools.map((pool) => {
            // Validation guarantees every type is in the table and all have the same GPU count.
            const shape = eksGpuInstances[pool.instanceTypes[0]!]!;
            return { ...pool, gpusPerNode: shape.gpus, gpuModel: shape.gpu };
          }),
        },
        opts,
      );
  }
}
