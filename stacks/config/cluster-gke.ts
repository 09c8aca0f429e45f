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

export const gkeGpuPool = z.strictObject({
  name: dnsLabel,
  machineType: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, "a GCE machine type such as g2-standard-8").describe("e.g. g2-standard-8 for L4, a2-highgpu-1g for A100, a3-highgpu-8g for H100."),
  accelerator: z.strictObject({
    type: z.enum(Object.keys(gkeAccelerators) as [keyof typeof gkeAccelerators]),
    count: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)]),
  }),
  minSize: nonNegativeInt.default(0),
  maxSize: positiveInt,
  spot: z.boolean().default(false),
  diskSizeGb: z.int().min(100).max(65536).default(200),
});

export const gkeCluster = z.strictObject({
  provider: z.literal("gke"),
  project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, "a GCP project id"),
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "a GCP region such as us-central1"),
  nodeZones: z.array(z.string().regex(/^[a-z]+-[a-z]+\d-[a-z]$/, "a GCP zone such as us-central1-a")).default([]).describe("Zones for node pools; empty means the region's default zones."),
  kubernetesVersion: z.enum(kubernetesVersions.gke).default(defaultKubernetesVersion).describe("Minimum control-plane version; the release channel upgrades from there."),
  releaseChannel: z.enum(["RAPID", "REGULAR", "STABLE"]).default("REGULAR"),
  network: z
    .strictObject({
      nodesCidr: cidr.default("10.10.0.0/20"),
      podsCidr: cidr.default("10.20.0.0/14"),
      servicesCidr: cidr.default("10.30.0.0/20"),
      masterCidr: cidr.default("172.16.0.0/28"),
    })
    .prefault({}),
  authorizedNetworks: z.array(z.strictObject({ name: z.string().min(1), cidr })).default([]).describe("Networks allowed to reach the control plane; empty with privateEndpoint=false is rejected."),
  privateEndpoint: z.boolean().default(true),
  systemPool: z
    .strictObject({
      machineType: z.string().default("e2-standard-4"),
      minSize: positiveInt.default(1).describe("Per zone."),
      maxSize: positiveInt.default(3).describe("Per zone."),
    })
    .prefault({}),
  gpuPools: z.array(gkeGpuPool).default([]),
  protect: z.boolean().default(false),
});

export type GkeClusterConfig = z.infer<typeof gkeCluster>;
