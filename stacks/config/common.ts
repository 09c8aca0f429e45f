import { z } from "zod";
import { labelKey, labelValue } from "./names";

/** A lowercase DNS label: it becomes part of resource, release and host names. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "a lowercase DNS label: a-z, 0-9 and '-', starting with a letter")
  .max(30);

/** Why `value` is not an IPv4 CIDR the clouds accept, or undefined. Pure, so the message can be tested. */
export function cidrProblem(value: string): string | undefined {
  if (!/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/.test(value)) return "an IPv4 CIDR such as 10.0.0.0/16";
  const [address, bits] = value.split("/");
  const octets = address!.split(".").map(Number);
  const prefix = Number(bits);
  if (octets.some((octet) => octet > 255) || prefix > 32) return "an IPv4 CIDR with octets <= 255 and a prefix length <= 32";
  // EC2, EKS and GKE refuse a CIDR with host bits set (GKE: "not a reduced form") instead of rounding it.
  const ip = octets.reduce((sum, octet) => sum * 256 + octet, 0);
  const size = 2 ** (32 - prefix);
  const network = ip - (ip % size);
  if (network === ip) return undefined;
  const dotted = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join(".");
  return `host bits are set, which AWS and GCP refuse; did you mean ${dotted}/${prefix}?`;
}

export const cidr = z.string().superRefine((value, ctx) => {
  const problem = cidrProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
});

export const nonNegativeInt = z.int().min(0);
export const positiveInt = z.int().min(1);

/** Kubernetes-style quantity of bytes in GiB, as a plain integer so that it can be compared. */
/** A plain number where a Kubernetes habit writes a quantity string ("50Gi", "500m", "128k"): say which. */
export const numberNotQuantity = (what: string) => (issue: { code: string; input?: unknown }) =>
  issue.code === "invalid_type" && typeof issue.input === "string" ? `expected ${what}, a plain number without a unit` : undefined;

export const gibibytes = (min: number, max: number) => z.int({ error: numberNotQuantity("a whole number of GiB such as 50 (for 50Gi)") }).min(min).max(max);

export const toleration = z.strictObject({
  key: labelKey,
  operator: z.enum(["Equal", "Exists"]).default("Equal"),
  value: labelValue.optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});
