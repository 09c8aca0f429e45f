import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
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
  readonly labels: Record<string, string>;
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
 * A managed node group with its own launch template: IMDSv2 only with a hop limit of 1 (pods cannot
 * borrow the node's role; they use IRSA), and an encrypted gp3 volume sized for LLM images.
 */
export function createNodeGroup(name: string, args: NodeGroupArgs, opts: AwsOptions): aws.eks.NodeGroup {
  const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-lt`, {
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [{
      deviceName: dataVolumeDevice(args.amiType),
      ebs: { volumeSize: args.diskSizeGiB, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
    }],
    updateDefaultVersion: true,
    tagSpecifications: [{ resourceType: "instance", tags: { Name: name } }],
  }, opts);

  const { key, value } = gpuNodeConventions.taint;
  const nodeGroup = new aws.eks.NodeGroup(name, {
    clusterName: args.clusterName,
    nodeGroupName: name,
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
    // The group's name is fixed, so a replacement (new instance types, spot, AMI) must delete first;
    // EKS rejects a second group of the same name.
    deleteBeforeReplace: true,
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
