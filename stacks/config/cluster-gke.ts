import { z } from "zod";
import { kubernetesVersions, defaultKubernetesVersion } from "../../components/versions";
import { gkeAccelerators, type GkeAcceleratorType } from "../../components/cloud-catalog";
import { gcpRegion, gcpZone, gkeGpuMachineType, gkeSystemMachineType } from "./cloud-names";
import { cidr, dnsLabel, nonNegativeInt, positiveInt } from "./common";

export { gkeAccelerators, gkeGpuMachineTypes, type GkeAcceleratorType } from "../../components/cloud-catalog";

/** GKE's limit of nodes per node pool and zone. */
const maxNodes = 1000;

export const gkeGpuPool = z.strictObject({
  name: dnsLabel,
  machineType: gkeGpuMachineType.describe("e.g. g2-standard-8 for L4, a2-highgpu-1g for A100, a3-highgpu-8g for H100; must match accelerator."),
  accelerator: z.strictObject(
    {
      type: z.enum(Object.keys(gkeAccelerators) as [GkeAcceleratorType]),
      count: z.literal([1, 2, 4, 8]),
      driverVersion: z.enum(["LATEST", "DEFAULT"]).default("LATEST").describe("NVIDIA driver GKE installs; LATEST, since recent vLLM builds need a recent CUDA driver."),
    },
    {
      error: (issue) =>
        issue.input === undefined ? "required: GKE attaches GPUs only through an accelerator {type, count} matching machineType" : undefined,
    },
  ),
  minSize: nonNegativeInt.max(maxNodes).default(0).describe("Total over the pool's zones; 0 lets the pool scale to zero."),
  maxSize: positiveInt.max(maxNodes).describe("Total over the pool's zones."),
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
  region: gcpRegion.describe("Google Cloud region, e.g. us-central1 (checked against the list in components/cloud-catalog.ts)."),
  nodeZones: z.array(gcpZone).default([]).describe("Zones of the region for node pools; required with GPU pools, since a GPU type is not in every zone. Empty means GKE's default zones."),
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
      machineType: gkeSystemMachineType.default("e2-standard-4").describe("General-purpose x86_64 GCE type (GKE taints Arm nodes, so add-ons would not schedule)."),
      minSize: positiveInt.max(maxNodes).default(1).describe("Per zone."),
      maxSize: positiveInt.max(maxNodes).default(3).describe("Per zone."),
    })
    .prefault({}),
  gpuPools: z.array(gkeGpuPool).default([]),
  maintenance: gkeMaintenance,
  protect: z.boolean().default(false).describe("Protect the cluster, KMS key and bucket from `pulumi destroy` (and turn on GKE deletion protection)."),
});

export type GkeClusterConfig = z.infer<typeof gkeCluster>;
