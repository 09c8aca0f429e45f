import { z } from "zod";
import { kubernetesVersions, defaultKubernetesVersion } from "../../components/versions";
import { cidr, dnsLabel, nonNegativeInt, positiveInt } from "./common";

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

export const gkeGpuPool = z.strictObject({
  name: dnsLabel,
  machineType: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, "a GCE machine type such as g2-standard-8").describe("e.g. g2-standard-8 for L4, a2-highgpu-1g for A100, a3-highgpu-8g for H100; must match accelerator."),
  accelerator: z.strictObject(
    {
      type: z.enum(Object.keys(gkeAccelerators) as [GkeAcceleratorType]),
      count: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]),
      driverVersion: z.enum(["LATEST", "DEFAULT"]).default("LATEST").describe("NVIDIA driver GKE installs; LATEST, since recent vLLM builds need a recent CUDA driver."),
    },
    {
      error: (issue) =>
        issue.input === undefined ? "required: GKE attaches GPUs only through an accelerator {type, count} matching machineType" : undefined,
    },
  ),
  minSize: nonNegativeInt.default(0).describe("Total over the pool's zones; 0 lets the pool scale to zero."),
  maxSize: positiveInt.describe("Total over the pool's zones."),
  spot: z.boolean().default(false),
  diskSizeGb: z.int().min(100).max(65536).default(200),
});

const zulu = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, "an RFC 3339 UTC time such as 2026-01-03T02:00:00Z");

/** When GKE may upgrade and repair (auto-upgrade drains GPU serving nodes), and when it must not. */
export const gkeMaintenance = z
  .strictObject({
    window: z
      .strictObject({
        startTime: zulu.describe("First window's start; its time of day is when every window starts."),
        endTime: zulu.describe("First window's end; its distance from startTime is every window's length."),
        recurrence: z.string().regex(/^FREQ=(DAILY|WEEKLY)(;[A-Z]+=[A-Z0-9,]+)*$/, "an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=SA,SU").describe("RFC 5545 RRULE; GKE needs at least 48 hours of windows in any 32 days."),
      })
      .default({ startTime: "2026-01-03T02:00:00Z", endTime: "2026-01-03T10:00:00Z", recurrence: "FREQ=WEEKLY;BYDAY=SA,SU" })
      .describe("Recurring window for automatic upgrades; default weekends 02:00-10:00 UTC."),
    exclusions: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          startTime: zulu,
          endTime: zulu,
          scope: z.enum(["NO_UPGRADES", "NO_MINOR_UPGRADES", "NO_MINOR_OR_NODE_UPGRADES"]).default("NO_MINOR_OR_NODE_UPGRADES").describe("NO_MINOR_OR_NODE_UPGRADES keeps nodes (and GPU serving) untouched; NO_UPGRADES also holds security patches of the control plane, at most 30 days."),
        }),
      )
      .default([])
      .describe("Periods without automatic upgrades (launches, peak traffic); GKE allows up to 20."),
  })
  .prefault({});

export const gkeCluster = z.strictObject({
  provider: z.literal("gke"),
  project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "a GCP project id"),
  projectNumber: z
    .string()
    .regex(/^\d{6,19}$/, "the numeric project number")
    .describe("`gcloud projects describe <project> --format='value(projectNumber)'`; names the GKE service agent that uses the KMS key."),
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "a GCP region such as us-central1"),
  nodeZones: z.array(z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/, "a GCP zone such as us-central1-a")).default([]).describe("Zones of the region for node pools; required with GPU pools, since a GPU type is not in every zone. Empty means GKE's default zones."),
  kubernetesVersion: z.enum(kubernetesVersions.gke).default(defaultKubernetesVersion).describe("Minimum control-plane version; the release channel upgrades from there."),
  releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).default("REGULAR"),
  network: z
    .strictObject({
      nodesCidr: cidr.default("10.10.0.0/20"),
      podsCidr: cidr.default("10.20.0.0/14"),
      servicesCidr: cidr.default("10.30.0.0/20"),
      masterCidr: cidr.default("172.16.0.0/28").describe("The control plane's private range; GKE requires a /28."),
    })
    .prefault({}),
  authorizedNetworks: z.array(z.strictObject({ name: z.string().min(1), cidr })).default([]).describe("Networks allowed to reach the control plane; empty with privateEndpoint=false is rejected."),
  privateEndpoint: z.boolean().default(true).describe("Control plane reachable only from inside the VPC (then run Pulumi from there, e.g. a VPN or bastion)."),
  systemPool: z
    .strictObject({
      machineType: z.string().default("e2-standard-4"),
      minSize: positiveInt.default(1).describe("Per zone."),
      maxSize: positiveInt.default(3).describe("Per zone."),
    })
    .prefault({}),
  gpuPools: z.array(gkeGpuPool).default([]),
  maintenance: gkeMaintenance,
  protect: z.boolean().default(false).describe("Protect the cluster, KMS key and bucket from `pulumi destroy` (and turn on GKE deletion protection)."),
});

export type GkeClusterConfig = z.infer<typeof gkeCluster>;
