import { z } from "zod";
import {
  awsRegions, ec2Arm64GpuTypes, ec2GeneralPurposeTypes, eksAmiArchitectures, eksGpuInstances, eksSystemPoolAmiType,
  gceGeneralPurposeTypes, gcpRegions, gkeGpuMachineTypes,
} from "../../components/cloud-catalog";
import { hint, listOf, unknownName } from "./suggest";

/*
 * Cloud names checked against the catalog in components/cloud-catalog.ts, with a "did you mean"
 * for typos and a plain word when a name belongs to the other cloud.
 */

type Check = (value: string) => string | undefined;
const checked = (check: Check) =>
  z.string().superRefine((value, ctx) => {
    const message = check(value);
    if (message) ctx.addIssue({ code: "custom", message, input: value });
  });

const looksEc2 = (value: string) => /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(value);
const looksGce = (value: string) => /^[a-z][a-z0-9]*-[a-z]+-\d+[a-z]*$/.test(value);

export const awsRegion = checked((region) => {
  if ((awsRegions as readonly string[]).includes(region)) return undefined;
  if ((gcpRegions as readonly string[]).includes(region)) return `${region} is a Google Cloud region; EKS takes an AWS region such as us-east-1`;
  return unknownName("not an AWS region", region, awsRegions, listOf(awsRegions, 40));
});

export const gcpRegion = checked((region) => {
  if ((gcpRegions as readonly string[]).includes(region)) return undefined;
  if ((awsRegions as readonly string[]).includes(region)) return `${region} is an AWS region; GKE takes a Google Cloud region such as us-central1`;
  return unknownName("not a Google Cloud region", region, gcpRegions, listOf(gcpRegions, 50));
});

export const gcpZone = checked((zone) => {
  const match = /^(.+)-([a-z])$/.exec(zone);
  if (!match || !(gcpRegions as readonly string[]).includes(match[1]!)) {
    return `a Google Cloud zone: a region and a letter, such as us-central1-a${match ? `; ${match[1]} is not a region${hint(match[1]!, gcpRegions)}` : ""}`;
  }
  return undefined;
});

/** The EKS system node group's instance type: general purpose, and the architecture its AMI type runs. */
export const eksSystemInstanceType = checked((type) => {
  const amiArchitecture = eksAmiArchitectures[eksSystemPoolAmiType];
  const architecture = ec2GeneralPurposeTypes[type];
  if (architecture === amiArchitecture) return undefined;
  const sameArchitecture = Object.keys(ec2GeneralPurposeTypes).filter((candidate) => ec2GeneralPurposeTypes[candidate] === amiArchitecture);
  if (architecture) {
    return `${type} is ${architecture}, but the system node group runs AMI type ${eksSystemPoolAmiType} (${amiArchitecture}): pick an ${amiArchitecture} type such as m6i.large or m7i.xlarge`;
  }
  if (type in eksGpuInstances) return `${type} has GPUs; the system node group runs the add-ons and needs a general-purpose type such as m6i.large`;
  if (!looksEc2(type) && looksGce(type)) return `${type} is a GCE machine type; EKS takes an EC2 instance type such as m6i.large`;
  return unknownName("not a known general-purpose EC2 instance type", type, sameArchitecture,
    `the ${amiArchitecture} families ${[...new Set(sameArchitecture.map((t) => t.split(".")[0]))].join(", ")} in sizes large to 16xlarge (t3 and t3a up to 2xlarge)`);
});

/** An EKS GPU pool's instance type (its AMI type's architecture is checked with the pool). */
export const eksGpuInstanceType = checked((type) => {
  if (type in eksGpuInstances || ec2Arm64GpuTypes.includes(type)) return undefined;
  if (!looksEc2(type) && looksGce(type)) return `${type} is a GCE machine type; EKS takes an EC2 GPU instance type such as g6.xlarge`;
  const family = type.split(".")[0]!;
  const families = [...new Set(Object.keys(eksGpuInstances).map((t) => t.split(".")[0]!))];
  const generalPurpose = Object.keys(ec2GeneralPurposeTypes).some((t) => t.startsWith(`${family}.`));
  const reason = families.includes(family) ? `not a GPU size of the ${family} family` : generalPurpose ? `${type} has no GPU` : `"${family}" is not a GPU instance family`;
  return unknownName(reason, type, Object.keys(eksGpuInstances), Object.keys(eksGpuInstances).join(", "));
});

/** The GKE system pool's machine type: general purpose and x86_64 (GKE taints Arm nodes). */
export const gkeSystemMachineType = checked((type) => {
  const architecture = gceGeneralPurposeTypes[type];
  if (architecture === "x86_64") return undefined;
  if (architecture === "arm64") return `${type} is Arm: GKE taints Arm nodes kubernetes.io/arch=arm64:NoSchedule, so no add-on would schedule on the system pool; pick an x86_64 type such as e2-standard-4`;
  if (type in gkeGpuMachineTypes) return `${type} comes with GPUs; the system pool needs a general-purpose type such as e2-standard-4`;
  if (looksEc2(type)) return `${type} is an EC2 instance type; GKE takes a GCE machine type such as e2-standard-4`;
  const x86 = Object.keys(gceGeneralPurposeTypes).filter((t) => gceGeneralPurposeTypes[t] === "x86_64");
  return unknownName("not a known general-purpose GCE machine type", type, x86, `the families ${[...new Set(x86.map((t) => t.split("-").slice(0, 2).join("-")))].join(", ")}, such as e2-standard-4`);
});

/** A GKE GPU pool's machine type (its accelerator is checked with the pool). */
export const gkeGpuMachineType = checked((type) => {
  if (type in gkeGpuMachineTypes) return undefined;
  if (looksEc2(type)) return `${type} is an EC2 instance type; GKE takes a GCE GPU machine type such as g2-standard-8`;
  const family = type.split("-")[0]!;
  const familySizes = Object.keys(gkeGpuMachineTypes).filter((t) => t.startsWith(`${family}-`));
  const reason = familySizes.length > 0 ? `not a GPU machine type of the ${family} family` : type in gceGeneralPurposeTypes ? `${type} has no GPU` : "not a GCE GPU machine type";
  return unknownName(reason, type, Object.keys(gkeGpuMachineTypes), listOf(Object.keys(gkeGpuMachineTypes), 30));
});
