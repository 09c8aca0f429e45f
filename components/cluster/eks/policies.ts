import type { BucketAccess } from "../types";
import { gpuNodeConventions } from "../types";

/**
 * Pure builders for the IAM documents, CIDR plans and tags the EKS cluster needs. Kept free of Pulumi
 * so that the least-privilege promises can be unit-tested on plain values.
 */

type Statement = Record<string, unknown>;
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly Statement[];
}

const policy = (...statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/** Lets an AWS service (eks.amazonaws.com, ec2.amazonaws.com) assume a role. */
export function serviceTrustPolicy(service: string): PolicyDocument {
  return policy({ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" });
}

/** The issuer URL without its scheme, as IAM condition keys spell it. */
export const issuerHost = (issuerUrl: string): string => issuerUrl.replace(/^https:\/\//, "");

/**
 * IRSA trust: only the one service account `namespace/serviceAccount` of this cluster, and only for STS,
 * may assume the role. Both conditions are exact matches, never wildcards.
 */
export function irsaTrustPolicy(oidcProviderArn: string, issuerUrl: string, namespace: string, serviceAccount: string): PolicyDocument {
  const host = issuerHost(issuerUrl);
  return policy({
    Effect: "Allow",
    Principal: { Federated: oidcProviderArn },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: {
        [`${host}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
        [`${host}:aud`]: "sts.amazonaws.com",
      },
    },
  });
}

/** Access to exactly one bucket and its objects; "read" cannot write or delete. */
export function bucketAccessPolicy(bucketArn: string, access: BucketAccess): PolicyDocument {
  const objectActions = access === "read" ? ["s3:GetObject"] : ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"];
  return policy(
    { Sid: "ListThisBucket", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: bucketArn },
    { Sid: "ObjectsInThisBucket", Effect: "Allow", Action: objectActions, Resource: `${bucketArn}/*` },
  );
}

/** What the control plane's role needs on the Secrets key, and on no other key. */
export function secretsKeyPolicy(keyArn: string): PolicyDocument {
  return policy({ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn });
}

/** Denies any request to the bucket that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return policy({
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  });
}

/**
 * cluster-autoscaler: read-only discovery everywhere, but it may only resize or terminate in
 * auto scaling groups tagged as owned by this cluster.
 */
export function clusterAutoscalerPolicy(clusterName: string): PolicyDocument {
  return policy(
    {
      Sid: "Discover",
      Effect: "Allow",
      Action: [
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeAutoScalingInstances",
        "autoscaling:DescribeLaunchConfigurations",
        "autoscaling:DescribeScalingActivities",
        "autoscaling:DescribeTags",
        "ec2:DescribeImages",
        "ec2:DescribeInstanceTypes",
        "ec2:DescribeLaunchTemplateVersions",
        "ec2:GetInstanceTypesFromInstanceRequirements",
        "eks:DescribeNodegroup",
      ],
      Resource: "*",
    },
    {
      Sid: "ScaleOwnGroupsOnly",
      Effect: "Allow",
      Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
      Resource: "*",
      Condition: { StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" } },
    },
  );
}

export interface SubnetPlan {
  readonly private: readonly string[];
  readonly public: readonly string[];
}

const toNumber = (address: string) => address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
const toAddress = (value: number) => [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");

/**
 * Splits the VPC CIDR: the first three quarters are private subnets (nodes and, with the VPC CNI, every
 * pod takes an address there), and public subnets (load balancers, NAT) take small slices of the last
 * quarter. Needs a /16 to /20 VPC, which the config rules enforce.
 */
export function subnetPlan(vpcCidr: string, azCount: number): SubnetPlan {
  const [address, bits] = vpcCidr.split("/") as [string, string];
  const prefix = Number(bits);
  const base = toNumber(address) - (toNumber(address) % 2 ** (32 - prefix));
  const quarter = 2 ** (32 - prefix - 2);
  const publicPrefix = prefix + 6;
  const publicSize = 2 ** (32 - publicPrefix);
  return {
    private: Array.from({ length: azCount }, (_, index) => `${toAddress(base + index * quarter)}/${prefix + 2}`),
    public: Array.from({ length: azCount }, (_, index) => `${toAddress(base + 3 * quarter + index * publicSize)}/${publicPrefix}`),
  };
}

export interface GpuNodeShape {
  readonly poolName: string;
  readonly gpusPerNode: number;
  readonly gpuModel: string;
  /** Ephemeral storage a node offers pods (GiB): what cluster-autoscaler assumes of a node from zero. */
  readonly ephemeralStorageGiB: number;
}

/** Whether a GPU pool's NVMe instance store is set up as RAID0: by default on AL2023, never on Bottlerocket. */
export const usesLocalNvme = (pool: { readonly amiType: string; readonly localStorage?: "raid0" | "none" }) =>
  (pool.localStorage ?? (pool.amiType === "AL2023_x86_64_NVIDIA" ? "raid0" : "none")) === "raid0";

/**
 * The ephemeral storage (GiB) a node of an EKS GPU pool offers pods: the smallest instance store of
 * its types when that is set up, else its root volume.
 */
export function poolEphemeralStorageGiB(
  pool: { readonly amiType: string; readonly localStorage?: "raid0" | "none"; readonly instanceTypes: readonly string[]; readonly diskSizeGiB: number },
  nvmeGB: (type: string) => number,
): number {
  return usesLocalNvme(pool)
    ? gpuNodeEphemeralStorageGiB(Math.min(...pool.instanceTypes.map(nvmeGB)), "GB")
    : gpuNodeEphemeralStorageGiB(pool.diskSizeGiB, "GiB");
}

/**
 * What a GPU node's kubelet will offer pods as ephemeral storage, in GiB: the disk that holds
 * /var/lib/kubelet (the NVMe RAID0 of the smallest instance type, else the root volume), less
 * nodeadm's 10% hard eviction threshold and a margin, less room for the extracted images.
 */
export function gpuNodeEphemeralStorageGiB(diskGB: number, unit: "GB" | "GiB"): number {
  const gib = unit === "GB" ? (diskGB * 1e9) / 2 ** 30 : diskGB;
  return Math.max(0, Math.floor(0.85 * gib) - 30);
}

/**
 * The label cluster-autoscaler's AWS provider reads to know a node has GPUs: while such a node is up but
 * its device plugin has not yet advertised `nvidia.com/gpu`, it counts the node as not ready instead of
 * launching another GPU node for the same pending pod.
 */
export const awsGpuLabel = "k8s.amazonaws.com/accelerator";

/**
 * Labels every node of a GPU pool carries: the pool, the label the NVIDIA device plugin's affinity looks
 * for, and the autoscaler's GPU label (value in its naming, e.g. "nvidia-l4").
 */
export function gpuNodeLabels(shape: GpuNodeShape): Record<string, string> {
  return {
    [gpuNodeConventions.poolLabel]: shape.poolName,
    "nvidia.com/gpu.present": "true",
    "llm-platform.io/gpu-model": shape.gpuModel,
    [awsGpuLabel]: `nvidia-${shape.gpuModel.toLowerCase()}`,
  };
}

/**
 * Auto scaling group tags that tell cluster-autoscaler what a node of an empty (size 0) group would
 * look like, so that a pending GPU pod can trigger a scale-up from zero.
 */
export function scaleFromZeroTags(shape: GpuNodeShape): Record<string, string> {
  const prefix = "k8s.io/cluster-autoscaler/node-template";
  const { key, value, effect } = gpuNodeConventions.taint;
  const labels = Object.entries(gpuNodeLabels(shape)).map(([label, labelValue]) => [`${prefix}/label/${label}`, labelValue]);
  return Object.fromEntries([
    ...labels,
    [`${prefix}/taint/${key}`, `${value}:${effect}`],
    [`${prefix}/resources/nvidia.com/gpu`, String(shape.gpusPerNode)],
    // Without it a template node offers no ephemeral storage, and a pending pod that requests some
    // (every serving pod does) could never scale a pool up from zero.
    [`${prefix}/resources/ephemeral-storage`, `${shape.ephemeralStorageGiB}Gi`],
  ]);
}

/** AZ IDs where EKS does not place control planes (EKS network requirements); subnets there fail cluster creation. */
export const eksUnsupportedZoneIds = ["use1-az3", "usw1-az2", "cac1-az3"] as const;

export interface ZoneNeeds {
  /** Instance types of each pool: a zone must offer at least one type of every pool. */
  readonly pools: readonly { readonly name: string; readonly instanceTypes: readonly string[] }[];
  readonly count: number;
  readonly region: string;
}

/**
 * The first `count` zones (in AWS's order) that offer at least one instance type of every pool.
 * Throws, naming each skipped zone and what it lacks, when fewer than `count` qualify.
 */
export function pickZones(zones: readonly string[], offerings: readonly { instanceType: string; zone: string }[], needs: ZoneNeeds): string[] {
  const offered = new Set(offerings.map((offering) => `${offering.zone}/${offering.instanceType}`));
  const missing = (zone: string) =>
    needs.pools.filter((pool) => !pool.instanceTypes.some((type) => offered.has(`${zone}/${type}`))).map((pool) => `${pool.name} (${pool.instanceTypes.join(", ")})`);
  const usable = zones.filter((zone) => missing(zone).length === 0);
  if (usable.length >= needs.count) return usable.slice(0, needs.count);
  const skipped = zones.filter((zone) => !usable.includes(zone)).map((zone) => `${zone} offers none of ${missing(zone).join("; ")}`);
  throw new Error(
    `cluster.availabilityZones is ${needs.count}, but only ${usable.length} zone(s) of ${needs.region} that EKS supports offer every pool's instance types` +
      ` (${usable.join(", ") || "none"}): ${skipped.join("; ")}. Add instance types offered there, or lower availabilityZones.`,
  );
}
