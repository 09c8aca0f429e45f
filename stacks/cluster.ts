import * as pulumi from "@pulumi/pulumi";
import { ExistingCluster } from "../components/cluster/existing-cluster";
import { Gke } from "../components/cluster/gke";
import type { PlatformCluster } from "../components/cluster/types";
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
    case "gke":
      return new Gke(name, cluster);
    case "eks":
      throw new pulumi.RunError(`cluster.provider "${cluster.provider}" is not implemented yet; use "k3s" with mode "existing"`);
  }
}
