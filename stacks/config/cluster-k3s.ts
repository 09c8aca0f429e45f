import { z } from "zod";
import { dnsLabel, positiveInt, toleration } from "./common";

/** How GPU nodes of a cluster we do not build are told apart; given in config because we cannot look. */
export const existingGpuPool = z.strictObject({
  name: dnsLabel,
  nodeSelector: z.record(z.string(), z.string()).refine((labels) => Object.keys(labels).length > 0, "at least one label").describe("Labels that select this pool's nodes."),
  tolerations: z.array(toleration).default([]).describe("Taints on those nodes that GPU pods must tolerate."),
  gpusPerNode: positiveInt,
  nodes: positiveInt.describe("Number of such nodes; serving checks that models fit."),
});

export const k3sCluster = z.strictObject({
  provider: z.literal("k3s"),
  mode: z.literal("existing").describe("\"existing\": adopt a running cluster from the `kubeconfig` secret."),
  gpuRuntimeClass: z.string().min(1).nullable().default("nvidia").describe("RuntimeClass GPU pods use; k3s ships \"nvidia\" when the NVIDIA container runtime is installed."),
  storageClass: z.string().min(1).default("local-path"),
  installDevicePlugin: z.boolean().default(true).describe("Install the NVIDIA device plugin (false if the cluster already runs one)."),
  gpuPools: z.array(existingGpuPool).default([]),
  objectStorage: z
    .strictObject({
      endpoint: z.url(),
      bucket: z.string().min(3),
      region: z.string().default("us-east-1"),
    })
    .optional().describe("Optional S3-compatible object storage for models and pipeline artifacts."),
});

export type K3sClusterConfig = z.infer<typeof k3sCluster>;
