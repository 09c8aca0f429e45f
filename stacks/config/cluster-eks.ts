import { z } from "zod";
import { kubernetesVersions, defaultKubernetesVersion } from "../../components/versions";
import { eksAmiArchitectures, ec2Arm64GpuTypes } from "../../components/cloud-catalog";
import { awsRegion, eksGpuInstanceType, eksSystemInstanceType } from "./cloud-names";
import { cidr, dnsLabel, nonNegativeInt, positiveInt } from "./common";

export { eksGpuInstances } from "../../components/cloud-catalog";

/** EKS's default quota of nodes per managed node group. */
const maxNodesPerGroup = 450;

export const eksGpuPool = z
  .strictObject({
  name: dnsLabel.describe("Pool name; becomes part of the node group name and the GPU node label."),
  instanceTypes: z.array(eksGpuInstanceType).min(1).describe("EC2 instance types, all with the same GPU count (see eksGpuInstances)."),
  minSize: nonNegativeInt.max(maxNodesPerGroup).default(0),
  maxSize: positiveInt.max(maxNodesPerGroup).describe(`At most ${maxNodesPerGroup}, EKS's default quota of nodes per managed node group.`),
  spot: z.boolean().default(false),
  diskSizeGiB: z.int().min(100).max(16384).default(200).describe("Root volume; LLM serving images are 10+ GB."),
  diskThroughputMiBps: z.int().min(125).max(2000).default(125).describe("Provisioned throughput of the gp3 root volume, where container images are extracted: 125 is gp3's baseline (free), up to 2000. A ~12 GB vLLM image extracts about 2.5 min faster at 1000 than at 125 (npm run report shows the cold start)."),
  diskIops: z.int().min(3000).max(80000).default(3000).describe("Provisioned IOPS of the gp3 root volume; gp3 needs at least 4 IOPS per MiB/s of throughput."),
  amiType: z.enum(["AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"]).default("AL2023_x86_64_NVIDIA"),
  })
  .superRefine((pool, ctx) => {
    if (pool.diskThroughputMiBps * 4 > pool.diskIops) {
      ctx.addIssue({ code: "custom", path: ["diskThroughputMiBps"], input: pool.diskThroughputMiBps,
        message: `${pool.diskThroughputMiBps} MiB/s needs diskIops >= ${pool.diskThroughputMiBps * 4} (gp3 allows 0.25 MiB/s per provisioned IOPS; diskIops is ${pool.diskIops})` });
    }
    pool.instanceTypes.forEach((type, index) => {
      if (ec2Arm64GpuTypes.includes(type)) {
        ctx.addIssue({ code: "custom", path: ["instanceTypes", index], input: type,
          message: `${type} is arm64 (Graviton), but amiType ${pool.amiType} runs ${eksAmiArchitectures[pool.amiType]} only: pick an x86_64 GPU type such as g6.xlarge` });
      }
    });
  });

/** Why `value` is not an IAM role ARN an EKS access entry takes, or undefined. */
export function iamRoleArnProblem(value: string): string | undefined {
  // What `aws sts get-caller-identity` prints: the session, not the role.
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(value);
  if (session) return `an IAM role ARN, not an STS session's: did you mean "arn:${session[1]}:iam::${session[2]}:role/${session[3]}" (add the role's path if it has one)?`;
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(value)) return "an IAM role ARN such as arn:aws:iam::111122223333:role/platform-admin";
  // EKS matches the principal with its path; Identity Center roles always have one.
  if (/:role\/AWSReservedSSO_/.test(value)) {
    return "an IAM Identity Center role's full ARN, with its path (role/aws-reserved/sso.amazonaws.com/.../AWSReservedSSO_...): EKS refuses it without the path as an invalid principal; copy it from aws iam get-role --role-name <name> --query Role.Arn";
  }
  return undefined;
}

const iamRoleArn = z.string().superRefine((value, ctx) => {
  const problem = iamRoleArnProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
});

export const eksCluster = z.strictObject({
  provider: z.literal("eks"),
  region: awsRegion.describe("AWS region, e.g. us-east-1 (checked against the list in components/cloud-catalog.ts)."),
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
      instanceType: eksSystemInstanceType.default("m6i.large").describe("General-purpose x86_64 EC2 type: the system node group runs AMI type AL2023_x86_64_STANDARD."),
      minSize: positiveInt.max(maxNodesPerGroup).default(2),
      maxSize: positiveInt.max(maxNodesPerGroup).default(4),
    })
    .prefault({}),
  gpuPools: z.array(eksGpuPool).default([]),
  logRetentionDays: z
    .literal([7, 14, 30, 60, 90, 180, 365])
    .default(90)
    .describe("Days CloudWatch keeps the control-plane logs (api, audit, authenticator)."),
  protect: z.boolean().default(false).describe("Protect the cluster, KMS key and bucket from `pulumi destroy`."),
});

export type EksClusterConfig = z.infer<typeof eksCluster>;
