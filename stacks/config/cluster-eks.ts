import { z } from "zod";
import { kubernetesVersions, defaultKubernetesVersion } from "../../components/versions";
import { cidr, dnsLabel, nonNegativeInt, positiveInt } from "./common";

/**
 * GPU instance families EKS GPU pools may use, with the GPUs, vCPUs and memory (GiB) each size has
 * (AWS's published figures). A pool's instance types must all come from this table, so that the
 * config rules can check that a model's GPUs, CPU and memory fit on a node.
 */
export const eksGpuInstances: Readonly<Record<string, { gpus: number; gpu: string; vcpus: number; memoryGiB: number }>> = {
  "g5.xlarge": { gpus: 1, gpu: "A10G", vcpus: 4, memoryGiB: 16 },
  "g5.2xlarge": { gpus: 1, gpu: "A10G", vcpus: 8, memoryGiB: 32 },
  "g5.4xlarge": { gpus: 1, gpu: "A10G", vcpus: 16, memoryGiB: 64 },
  "g5.8xlarge": { gpus: 1, gpu: "A10G", vcpus: 32, memoryGiB: 128 },
  "g5.12xlarge": { gpus: 4, gpu: "A10G", vcpus: 48, memoryGiB: 192 },
  "g5.24xlarge": { gpus: 4, gpu: "A10G", vcpus: 96, memoryGiB: 384 },
  "g5.48xlarge": { gpus: 8, gpu: "A10G", vcpus: 192, memoryGiB: 768 },
  "g6.xlarge": { gpus: 1, gpu: "L4", vcpus: 4, memoryGiB: 16 },
  "g6.2xlarge": { gpus: 1, gpu: "L4", vcpus: 8, memoryGiB: 32 },
  "g6.4xlarge": { gpus: 1, gpu: "L4", vcpus: 16, memoryGiB: 64 },
  "g6.8xlarge": { gpus: 1, gpu: "L4", vcpus: 32, memoryGiB: 128 },
  "g6.12xlarge": { gpus: 4, gpu: "L4", vcpus: 48, memoryGiB: 192 },
  "g6.24xlarge": { gpus: 4, gpu: "L4", vcpus: 96, memoryGiB: 384 },
  "g6.48xlarge": { gpus: 8, gpu: "L4", vcpus: 192, memoryGiB: 768 },
  "g6e.xlarge": { gpus: 1, gpu: "L40S", vcpus: 4, memoryGiB: 32 },
  "g6e.2xlarge": { gpus: 1, gpu: "L40S", vcpus: 8, memoryGiB: 64 },
  "g6e.12xlarge": { gpus: 4, gpu: "L40S", vcpus: 48, memoryGiB: 384 },
  "g6e.24xlarge": { gpus: 4, gpu: "L40S", vcpus: 96, memoryGiB: 768 },
  "g6e.48xlarge": { gpus: 8, gpu: "L40S", vcpus: 192, memoryGiB: 1536 },
  "p4d.24xlarge": { gpus: 8, gpu: "A100", vcpus: 96, memoryGiB: 1152 },
  "p5.48xlarge": { gpus: 8, gpu: "H100", vcpus: 192, memoryGiB: 2048 },
};

export const eksGpuPool = z.strictObject({
  name: dnsLabel.describe("Pool name; becomes part of the node group name and the GPU node label."),
  instanceTypes: z.array(z.string()).min(1).describe("EC2 instance types, all with the same GPU count (see eksGpuInstances)."),
  minSize: nonNegativeInt.default(0),
  maxSize: positiveInt,
  spot: z.boolean().default(false),
  diskSizeGiB: z.int().min(100).max(16384).default(200).describe("Root volume; LLM serving images are 10+ GB."),
  amiType: z.enum(["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"]).default("AL2023_x86_64_NVIDIA"),
});

const iamRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, "an IAM role ARN");

export const eksCluster = z.strictObject({
  provider: z.literal("eks"),
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as us-east-1"),
  kubernetesVersion: z.enum(kubernetesVersions.eks).default(defaultKubernetesVersion),
  availabilityZones: z.int().min(2).max(3).default(3).describe("How many AZs the VPC and node groups span."),
  vpcCidr: cidr.default("10.0.0.0/16"),
  natGateways: z.enum(["single", "perAz"]).default("perAz").describe("One NAT gateway per AZ survives an AZ outage; a single one is cheaper."),
  publicAccessCidrs: z.array(cidr).default([]).describe("CIDRs allowed to reach the public API endpoint; empty means the endpoint is private only (then privateAccessCidrs is required)."),
  privateAccessCidrs: z.array(cidr).default([]).describe("Where `pulumi up` runs when it reaches the private endpoint: networks routed into the VPC (VPN, peered VPC or Transit Gateway, a self-hosted CI runner); the cluster security group admits HTTPS from them."),
  adminRoleArns: z.array(iamRoleArn).default([]).describe("IAM role ARNs granted cluster-admin through EKS access entries."),
  deployerRoleArn: iamRoleArn.optional().describe("IAM role that runs `pulumi up` (CI and humans assume it), given cluster-admin through an access entry; unset: the IAM role (or user) behind the caller's credentials."),
  systemPool: z
    .strictObject({
      instanceType: z.string().default("m6i.large"),
      minSize: positiveInt.default(2),
      maxSize: positiveInt.default(4),
    })
    .prefault({}),
  gpuPools: z.array(eksGpuPool).default([]),
  logRetentionDays: z
    .union([z.literal(7), z.literal(14), z.literal(30), z.literal(60), z.literal(90), z.literal(180), z.literal(365)])
    .default(90)
    .describe("Days CloudWatch keeps the control-plane logs (api, audit, authenticator)."),
  protect: z.boolean().default(false).describe("Protect the cluster, KMS key and bucket from `pulumi destroy`."),
});

export type EksClusterConfig = z.infer<typeof eksCluster>;
