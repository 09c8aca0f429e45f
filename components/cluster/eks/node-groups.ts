import * as aws from "./aws-services";
import * as pulumi from "@pulumi/pulumi";
import { gpuNodeConventions } from "../types";
import { gpuNodeLabels, scaleFromZeroTags, type GpuNodeShape } from "./policies";

type AwsOptions = { parent: pulumi.Resource; provider: aws.Provider };

export type EksAmiType = "AL2023_x86_64_STANDARD" | "AL2023_x86_64_NVIDIA" | "BOTTLEROCKET_x86_64_NVIDIA";

export interface NodeGroupArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly nodeRoleArn: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<string>[];
  readonly amiType: EksAmiType;
  readonly instanceTypes: readonly string[];
  readonly spot: boolean;
  readonly minSize: number;
  readonly maxSize: number;
  readonly diskSizeGiB: number;
  /** Provisioned gp3 throughput (MiB/s) and IOPS of that volume. @default gp3's baseline, 125 and 3000 */
  readonly diskThroughputMiBps?: number;
  readonly diskIops?: number;
  readonly labels: Record<string, string>;
  /** Kubernetes minor of the cluster, e.g. "1.34": the kubelet follows the control plane. */
  readonly kubernetesVersion: string;
  /**
   * Tags for the instances, volumes and network interfaces the group launches (cost allocation):
   * EKS copies neither the node group's tags nor the provider's default tags to them.
   */
  readonly launchTags: Record<string, string>;
  /**
   * AL2023 only: make the instance store one RAID0 volume under the kubelet's and containerd's
   * directories (images, pod logs, emptyDir). @default false
   */
  readonly localNvmeRaid0?: boolean;
  /** Set for GPU pools: adds the GPU taint and the cluster-autoscaler scale-from-zero tags. */
  readonly gpu?: GpuNodeShape;
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Bottlerocket keeps the OS on a small first volume and images and pods on the second (/dev/xvdb);
 * AL2023 has one root volume. The sized, encrypted volume must be the one container images land on.
 */
const dataVolumeDevice = (amiType: EksAmiType) => (amiType.startsWith("BOTTLEROCKET") ? "/dev/xvdb" : "/dev/xvda");

/**
 * The SSM parameter AWS publishes with the recommended AMI release of an AMI type for a Kubernetes
 * minor; its value is what a managed node group's `releaseVersion` takes.
 */
export function amiReleaseParameter(amiType: EksAmiType, kubernetesVersion: string): string {
  switch (amiType) {
    case "AL2023_x86_64_STANDARD":
      return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/x86_64/standard/recommended/release_version`;
    case "AL2023_x86_64_NVIDIA":
      return `/aws/service/eks/optimized-ami/${kubernetesVersion}/amazon-linux-2023/x86_64/nvidia/recommended/release_version`;
    case "BOTTLEROCKET_x86_64_NVIDIA":
      return `/aws/service/bottlerocket/aws-k8s-${kubernetesVersion}-nvidia/x86_64/latest/image_version`;
  }
}

/**
 * MIME user data with a nodeadm NodeConfig: EKS merges its own cluster details into it (a managed
 * node group takes user data only as MIME multipart). RAID0 puts /var/lib/kubelet, containerd's
 * images and /var/log/pods on the instance store.
 */
export const localNvmeUserData = [
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="LLMPLATFORM"',
  "",
  "--LLMPLATFORM",
  "Content-Type: application/node.eks.aws",
  "",
  "---",
  "apiVersion: node.eks.aws/v1alpha1",
  "kind: NodeConfig",
  "spec:",
  "  instance:",
  "    localStorage:",
  "      strategy: RAID0",
  "",
  "--LLMPLATFORM--",
  "",
].join("\n");

/** The resource types a launch template can tag at launch that bill: the instance, its volumes and its ENIs. */
export const launchTaggedResources = ["instance", "volume", "network-interface"] as const;

/**
 * A managed node group with its own launch template: IMDSv2 only with a hop limit of 1 (pods cannot
 * borrow the node's role; they use IRSA), and an encrypted gp3 volume sized for LLM images.
 */
export function createNodeGroup(name: string, args: NodeGroupArgs, opts: AwsOptions): aws.eks.NodeGroup {
  const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, {
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [{
      deviceName: dataVolumeDevice(args.amiType),
      ebs: {
        volumeSize: args.diskSizeGiB,
        volumeType: "gp3",
        encrypted: "true",
        deleteOnTermination: "true",
        // Images are extracted here: a GPU node from zero pulls ~12 GB before serving anything.
        throughput: args.diskThroughputMiBps ?? 125,
        iops: args.diskIops ?? 3000,
      },
    }],
    ...(args.localNvmeRaid0 ? { userData: Buffer.from(localNvmeUserData).toString("base64") } : {}),
    updateDefaultVersion: true,
    tagSpecifications: launchTaggedResources.map((resourceType) => ({ resourceType, tags: { Name: name, ...args.launchTags } })),
  }, opts);
  // Read on every run: a `pulumi up` after AWS publishes a new AMI rolls the group onto it (maxUnavailable 1).
  const releaseVersion = aws.ssm.getParameterOutput({ name: amiReleaseParameter(args.amiType, args.kubernetesVersion) }, opts).value;

  const { key, value } = gpuNodeConventions.taint;
  const nodeGroup = new aws.eks.NodeGroup(name, {
    clusterName: args.clusterName,
    // A prefix, not a fixed name: a replacement (new instance types, spot, AMI type) is created next to
    // the old group and the old one is deleted only once the new one exists.
    nodeGroupNamePrefix: `${name}-`,
    // The group reads clusterName from the cluster, so a version bump updates the control plane first,
    // then each group (EKS refuses nodes newer than the control plane).
    version: args.kubernetesVersion,
    releaseVersion: pulumi.unsecret(releaseVersion),
    nodeRoleArn: args.nodeRoleArn,
    subnetIds: args.subnetIds,
    amiType: args.amiType,
    instanceTypes: [...args.instanceTypes],
    capacityType: args.spot ? "SPOT" : "ON_DEMAND",
    scalingConfig: { minSize: args.minSize, maxSize: args.maxSize, desiredSize: args.minSize },
    updateConfig: { maxUnavailable: 1 },
    labels: args.gpu ? { ...args.labels, ...gpuNodeLabels(args.gpu) } : args.labels,
    taints: args.gpu ? [{ key, value, effect: "NO_SCHEDULE" }] : [],
    launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
    tags: args.gpu ? scaleFromZeroTags(args.gpu) : {},
  }, {
    ...opts,
    dependsOn: args.dependsOn,
    // cluster-autoscaler owns the desired size once the group exists.
    ignoreChanges: ["scalingConfig.desiredSize"],
  });

  if (args.gpu) {
    // EKS does not copy node group tags to its auto scaling group, which is where cluster-autoscaler reads them.
    const autoscalingGroupName = nodeGroup.resources.apply((resources) => resources[0]!.autoscalingGroups![0]!.name!);
    for (const [tagKey, tagValue] of Object.entries(scaleFromZeroTags(args.gpu))) {
      const suffix = tagKey.split("/").slice(3).join("-").replace(/[^a-zA-Z0-9-]/g, "-");
      new aws.autoscaling.Tag(`${name}-asg-${suffix}`, {
        autoscalingGroupName,
        tag: { key: tagKey, value: tagValue, propagateAtLaunch: false },
      }, opts);
    }
  }
  return nodeGroup;
}
