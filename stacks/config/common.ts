import { z } from "zod";
import { labelKey, labelValue } from "./names";

/** A lowercase DNS label: it becomes part of resource, release and host names. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, "a lowercase DNS label: a-z, 0-9 and '-', starting with a letter")
  .max(30);

export const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "an IPv4 CIDR such as 10.0.0.0/16")
  .refine((value) => {
    const [address, bits] = value.split("/");
    return address!.split(".").every((octet) => Number(octet) <= 255) && Number(bits) <= 32;
  }, "an IPv4 CIDR with octets <= 255 and a prefix length <= 32");

export const nonNegativeInt = z.int().min(0);
export const positiveInt = z.int().min(1);

/** Kubernetes-style quantity of bytes in GiB, as a plain integer so that it can be compared. */
export const gibibytes = (min: number, max: number) => z.int().min(min).max(max);

export const toleration = z.strictObject({
  key: labelKey,
  operator: z.enum(["Equal", "Exists"]).default("Equal"),
  value: labelValue.optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});
