import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../../addons/chart-release";
import { NvidiaDevicePlugin } from "../../addons/nvidia-device-plugin";
import { charts } from "../../versions";
import type { GpuPool } from "../types";

export interface KubeconfigArgs {
  readonly clusterName: string;
  readonly endpoint: string;
  readonly certificateAuthority: string;
  readonly region: string;
}

/** A kubeconfig (JSON is valid YAML) that authenticates with `aws eks get-token`: no long-lived token inside. */
export function eksKubeconfig(args: KubeconfigArgs): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: args.clusterName, cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthority } }],
    contexts: [{ name: args.clusterName, context: { cluster: args.clusterName, user: args.clusterName } }],
    "current-context": args.clusterName,
    users: [{
      name: args.clusterName,
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "aws",
          args: ["eks", "get-token", "--cluster-name", args.clusterName, "--region", args.region, "--output", "json"],
          interactiveMode: "Never",
        },
      },
    }],
  });
}

export const defaultStorageClassName = "gp3";

/** The default StorageClass: encrypted gp3 through the EBS CSI driver, bound where the pod lands. */
export function createDefaultStorageClass(name: string, opts: { parent: pulumi.Resource; provider: k8s.Provider }): k8s.storage.v1.StorageClass {
  return new k8s.storage.v1.StorageClass(`${name}-gp3`, {
    metadata: { name: defaultStorageClassName, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "ebs.csi.aws.com",
    parameters: { type: "gp3", encrypted: "true", "csi.storage.k8s.io/fstype": "ext4" },
    // An EBS volume lives in one AZ: create it where the scheduler put the pod, not before.
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
    reclaimPolicy: "Delete",
  }, opts);
}

export interface ClusterAutoscalerArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly region: string;
  readonly imageTag: string;
  readonly roleArn: pulumi.Input<string>;
  readonly serviceAccount: string;
  readonly namespace: string;
}

/** cluster-autoscaler for the managed node groups, found through the tags EKS puts on their auto scaling groups. */
export function clusterAutoscalerValues(args: ClusterAutoscalerArgs): Record<string, unknown> {
  return {
    cloudProvider: "aws",
    awsRegion: args.region,
    autoDiscovery: { clusterName: args.clusterName },
    image: { tag: args.imageTag },
    rbac: { serviceAccount: { create: true, name: args.serviceAccount, annotations: { "eks.amazonaws.com/role-arn": args.roleArn } } },
    extraArgs: {
      // GPU pools differ in instance types; pick the group that wastes the least after the pod is placed.
      expander: "least-waste",
      "balance-similar-node-groups": true,
      // Idle GPU nodes are the expensive part: give them back after 10 minutes.
      "scale-down-unneeded-time": "10m",
      // vLLM keeps /dev/shm in an emptyDir; without this its nodes would never scale back down.
      "skip-nodes-with-local-storage": false,
      // A scale-down caps each pod's grace period at this (default 600 s): serving pods ask for more
      // (preStop, then the longest request; components/serving/values.ts), so a drain cut generations.
      "max-graceful-termination-sec": 720,
    },
    priorityClassName: "system-cluster-critical",
  };
}

export function installClusterAutoscaler(name: string, args: ClusterAutoscalerArgs, opts: { parent: pulumi.Resource; provider: k8s.Provider }): k8s.helm.v3.Release {
  return chartRelease(name, charts.clusterAutoscaler, { namespace: args.namespace, values: clusterAutoscalerValues(args) }, opts);
}

/** AL2023 NVIDIA nodes need the device plugin to advertise `nvidia.com/gpu`; Bottlerocket NVIDIA ships its own. */
export function installDevicePlugin(name: string, pools: readonly GpuPool[], opts: { parent: pulumi.Resource; provider: k8s.Provider }): NvidiaDevicePlugin | undefined {
  if (pools.length === 0) return undefined;
  return new NvidiaDevicePlugin(name, { provider: opts.provider, gpuPools: pools }, { parent: opts.parent });
}
