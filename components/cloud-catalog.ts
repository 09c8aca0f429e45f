/**
 * Cloud names the stack config may use: regions, instance and machine types, and the weights of
 * well-known models. Pinned facts like the versions in versions.ts (which re-exports this module):
 * when a cloud adds a region or a family, add it here in a one-line diff.
 */

export type CpuArchitecture = "x86_64" | "arm64";

const sizes = (prefix: string, names: readonly string[]) => names.map((size) => `${prefix}${size}`);
const withArchitecture = (architecture: CpuArchitecture, types: string[]) => types.map((type) => [type, architecture] as const);

const ec2Sizes = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"] as const;

/**
 * GPU instance families EKS GPU pools may use, with the GPUs, vCPUs, memory (GiB) and NVMe instance
 * store (GB, all disks together) each size has (AWS's published figures). A pool's instance types
 * must all come from this table, so that the stack config can check that a model's GPUs, CPU and
 * memory fit on a node.
 */
export const eksGpuInstances: Readonly<Record<string, { gpus: number; gpu: string; vcpus: number; memoryGiB: number; nvmeGB: number }>> = {
  "g5.xlarge": { gpus: 1, gpu: "A10G", vcpus: 4, memoryGiB: 16, nvmeGB: 250 },
  "g5.2xlarge": { gpus: 1, gpu: "A10G", vcpus: 8, memoryGiB: 32, nvmeGB: 450 },
  "g5.4xlarge": { gpus: 1, gpu: "A10G", vcpus: 16, memoryGiB: 64, nvmeGB: 600 },
  "g5.8xlarge": { gpus: 1, gpu: "A10G", vcpus: 32, memoryGiB: 128, nvmeGB: 900 },
  "g5.12xlarge": { gpus: 4, gpu: "A10G", vcpus: 48, memoryGiB: 192, nvmeGB: 3800 },
  "g5.24xlarge": { gpus: 4, gpu: "A10G", vcpus: 96, memoryGiB: 384, nvmeGB: 3800 },
  "g5.48xlarge": { gpus: 8, gpu: "A10G", vcpus: 192, memoryGiB: 768, nvmeGB: 7600 },
  "g6.xlarge": { gpus: 1, gpu: "L4", vcpus: 4, memoryGiB: 16, nvmeGB: 250 },
  "g6.2xlarge": { gpus: 1, gpu: "L4", vcpus: 8, memoryGiB: 32, nvmeGB: 450 },
  "g6.4xlarge": { gpus: 1, gpu: "L4", vcpus: 16, memoryGiB: 64, nvmeGB: 600 },
  "g6.8xlarge": { gpus: 1, gpu: "L4", vcpus: 32, memoryGiB: 128, nvmeGB: 900 },
  "g6.12xlarge": { gpus: 4, gpu: "L4", vcpus: 48, memoryGiB: 192, nvmeGB: 3760 },
  "g6.24xlarge": { gpus: 4, gpu: "L4", vcpus: 96, memoryGiB: 384, nvmeGB: 3760 },
  "g6.48xlarge": { gpus: 8, gpu: "L4", vcpus: 192, memoryGiB: 768, nvmeGB: 7520 },
  "g6e.xlarge": { gpus: 1, gpu: "L40S", vcpus: 4, memoryGiB: 32, nvmeGB: 250 },
  "g6e.2xlarge": { gpus: 1, gpu: "L40S", vcpus: 8, memoryGiB: 64, nvmeGB: 450 },
  "g6e.12xlarge": { gpus: 4, gpu: "L40S", vcpus: 48, memoryGiB: 384, nvmeGB: 3800 },
  "g6e.24xlarge": { gpus: 4, gpu: "L40S", vcpus: 96, memoryGiB: 768, nvmeGB: 3800 },
  "g6e.48xlarge": { gpus: 8, gpu: "L40S", vcpus: 192, memoryGiB: 1536, nvmeGB: 7600 },
  "p4d.24xlarge": { gpus: 8, gpu: "A100", vcpus: 96, memoryGiB: 1152, nvmeGB: 8000 },
  "p5.48xlarge": { gpus: 8, gpu: "H100", vcpus: 192, memoryGiB: 2048, nvmeGB: 30720 },
};

/** GKE accelerator types and the machine family each one is attached to. */
export const gkeAccelerators = {
  "nvidia-l4": "g2",
  "nvidia-tesla-a100": "a2",
  "nvidia-a100-80gb": "a2",
  "nvidia-h100-80gb": "a3",
} as const;

export type GkeAcceleratorType = keyof typeof gkeAccelerators;

/**
 * GPU machine types and the accelerator they come with. On g2, a2 and a3 the GPU type and count are
 * fixed by the machine type, so a pool's `accelerator` must match this table exactly.
 */
export const gkeGpuMachineTypes: Readonly<Record<string, { accelerator: GkeAcceleratorType; count: number }>> = {
  "g2-standard-4": { accelerator: "nvidia-l4", count: 1 },
  "g2-standard-8": { accelerator: "nvidia-l4", count: 1 },
  "g2-standard-12": { accelerator: "nvidia-l4", count: 1 },
  "g2-standard-16": { accelerator: "nvidia-l4", count: 1 },
  "g2-standard-32": { accelerator: "nvidia-l4", count: 1 },
  "g2-standard-24": { accelerator: "nvidia-l4", count: 2 },
  "g2-standard-48": { accelerator: "nvidia-l4", count: 4 },
  "g2-standard-96": { accelerator: "nvidia-l4", count: 8 },
  "a2-highgpu-1g": { accelerator: "nvidia-tesla-a100", count: 1 },
  "a2-highgpu-2g": { accelerator: "nvidia-tesla-a100", count: 2 },
  "a2-highgpu-4g": { accelerator: "nvidia-tesla-a100", count: 4 },
  "a2-highgpu-8g": { accelerator: "nvidia-tesla-a100", count: 8 },
  "a2-ultragpu-1g": { accelerator: "nvidia-a100-80gb", count: 1 },
  "a2-ultragpu-2g": { accelerator: "nvidia-a100-80gb", count: 2 },
  "a2-ultragpu-4g": { accelerator: "nvidia-a100-80gb", count: 4 },
  "a2-ultragpu-8g": { accelerator: "nvidia-a100-80gb", count: 8 },
  "a3-highgpu-1g": { accelerator: "nvidia-h100-80gb", count: 1 },
  "a3-highgpu-2g": { accelerator: "nvidia-h100-80gb", count: 2 },
  "a3-highgpu-4g": { accelerator: "nvidia-h100-80gb", count: 4 },
  "a3-highgpu-8g": { accelerator: "nvidia-h100-80gb", count: 8 },
};

/** AWS commercial regions and the two GovCloud regions (2026), as `aws ec2 describe-regions` names them. */
export const awsRegions = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2",
  "af-south-1",
  "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2",
  "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
  "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ca-central-1", "ca-west-1",
  "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
  "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
  "us-gov-east-1", "us-gov-west-1",
] as const;

/** Google Cloud regions (2026), as `gcloud compute regions list` names them. */
export const gcpRegions = [
  "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
  "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1", "southamerica-east1", "southamerica-west1",
  "europe-central2", "europe-north1", "europe-north2", "europe-southwest1",
  "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
  "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1", "asia-south2",
  "asia-southeast1", "asia-southeast2", "australia-southeast1", "australia-southeast2",
  "me-central1", "me-central2", "me-west1", "africa-south1",
] as const;

/**
 * General-purpose EC2 types a system node group may use, with their CPU architecture. Families whose
 * sizes differ from the common ladder (c5, burstable t3 below large) are left out on purpose.
 */
export const ec2GeneralPurposeTypes: Readonly<Record<string, CpuArchitecture>> = Object.fromEntries([
  ...withArchitecture("x86_64", [
    ...["m5", "m5a", "m6i", "m6a", "m7i", "m7a", "c6i", "c6a", "c7i", "c7a", "r5", "r6i", "r6a", "r7i", "r7a"].flatMap((family) => sizes(`${family}.`, ec2Sizes)),
    ...["t3", "t3a"].flatMap((family) => sizes(`${family}.`, ["large", "xlarge", "2xlarge"])),
  ]),
  ...withArchitecture("arm64", [
    ...["m6g", "m7g", "m8g", "c6g", "c7g", "c8g", "r6g", "r7g", "r8g"].flatMap((family) => sizes(`${family}.`, ec2Sizes)),
    ...sizes("t4g.", ["large", "xlarge", "2xlarge"]),
  ]),
]);

/** EC2 GPU types that exist but that no x86_64 NVIDIA AMI runs (Graviton with NVIDIA T4G). */
export const ec2Arm64GpuTypes = sizes("g5g.", ["xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"]);

/** The AMI type of the EKS system node group, and the architecture each EKS AMI type runs. */
export const eksSystemPoolAmiType = "AL2023_x86_64_STANDARD";
export const eksAmiArchitectures: Readonly<Record<string, CpuArchitecture>> = {
  AL2023_x86_64_STANDARD: "x86_64",
  AL2023_x86_64_NVIDIA: "x86_64",
  BOTTLEROCKET_x86_64_NVIDIA: "x86_64",
};

/**
 * General-purpose GCE machine types a GKE system pool may use, with their architecture. GKE taints
 * Arm nodes `kubernetes.io/arch=arm64:NoSchedule`, so a system pool of them would run no add-on.
 */
export const gceGeneralPurposeTypes: Readonly<Record<string, CpuArchitecture>> = Object.fromEntries([
  ...withArchitecture("x86_64", [
    ...sizes("e2-standard-", ["2", "4", "8", "16", "32"]),
    ...sizes("e2-highmem-", ["2", "4", "8", "16"]),
    ...sizes("n2-standard-", ["2", "4", "8", "16", "32", "48", "64", "80", "96", "128"]),
    ...sizes("n2-highmem-", ["2", "4", "8", "16", "32", "48", "64", "80", "96", "128"]),
    ...sizes("n2d-standard-", ["2", "4", "8", "16", "32", "48", "64", "80", "96", "128", "224"]),
    ...sizes("n4-standard-", ["2", "4", "8", "16", "32", "48", "64", "80"]),
    ...sizes("c3-standard-", ["4", "8", "22", "44", "88", "176"]),
    ...sizes("t2d-standard-", ["1", "2", "4", "8", "16", "32", "48", "60"]),
  ]),
  ...withArchitecture("arm64", [
    ...sizes("t2a-standard-", ["1", "2", "4", "8", "16", "32", "48"]),
    ...sizes("c4a-standard-", ["1", "2", "4", "8", "16", "32", "48", "64", "72"]),
  ]),
]);

/**
 * Parameter counts (billions, from each model card) of models the platform is often asked to serve.
 * Their bf16 weights take 2 bytes per parameter; config checks that a model's cache can hold them.
 */
export const knownModelParameters: Readonly<Record<string, number>> = {
  "Qwen/Qwen2.5-0.5B-Instruct": 0.49,
  "Qwen/Qwen2.5-1.5B-Instruct": 1.54,
  "Qwen/Qwen2.5-7B-Instruct": 7.61,
  "Qwen/Qwen2.5-14B-Instruct": 14.7,
  "Qwen/Qwen2.5-32B-Instruct": 32.5,
  "Qwen/Qwen2.5-72B-Instruct": 72.7,
  "meta-llama/Llama-3.2-1B-Instruct": 1.24,
  "meta-llama/Llama-3.2-3B-Instruct": 3.21,
  "meta-llama/Llama-3.1-8B-Instruct": 8.03,
  "meta-llama/Llama-3.1-70B-Instruct": 70.6,
  "meta-llama/Llama-3.3-70B-Instruct": 70.6,
  "mistralai/Mistral-7B-Instruct-v0.3": 7.25,
  "google/gemma-3-4b-it": 4.3,
  "google/gemma-3-27b-it": 27.4,
};

/** bf16 weights of a known model in GiB, rounded up; undefined for a model not in the table. */
export function knownWeightsGiB(model: string): number | undefined {
  const billions = knownModelParameters[model];
  return billions === undefined ? undefined : Math.ceil((billions * 1e9 * 2) / 2 ** 30);
}

/**
 * MiB/s assumed for writes to a GPU node's NVMe instance store as one RAID0 volume. AWS publishes
 * IOPS, not throughput; the small sizes get a slice of one drive, so one figure for all is taken
 * low: a single drive's sequential writes, well under what the multi-disk sizes reach.
 */
export const instanceStoreWriteMiBps = 1000;

/** The node label a pool whose instance store is one RAID0 volume carries (the report reads it too). */
export const localNvmeLabel = "llm-platform.io/local-nvme";
