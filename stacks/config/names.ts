import { z } from "zod";

/*
 * Name rules of the APIs the config's names reach: Kubernetes (apimachinery's validation), DNS and
 * S3. Checked here so that a bad name fails before any resource exists, not halfway through `pulumi up`.
 */

const subdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const qualifiedNamePattern = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** A DNS subdomain (RFC 1123): what Kubernetes requires of most object names, e.g. RuntimeClass and StorageClass. */
export const dnsSubdomain = z
  .string()
  .max(253, "a Kubernetes object name: at most 253 characters")
  .regex(subdomainPattern, "a Kubernetes object name (DNS subdomain): lowercase a-z, 0-9, '-' and '.', starting and ending with a letter or digit, such as nvidia");

/** Why a label key is invalid, or undefined when it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !subdomainPattern.test(prefix))) {
    return "a Kubernetes label key: its prefix before '/' must be a lowercase DNS subdomain of at most 253 characters, such as example.com/rack";
  }
  if (name.length === 0 || name.length > 63 || !qualifiedNamePattern.test(name)) {
    return "a Kubernetes label key: an optional DNS prefix and '/', then 1 to 63 of A-Z, a-z, 0-9, '-', '_', '.', starting and ending with a letter or digit, such as example.com/rack";
  }
  return undefined;
}

export const labelKey = z.string().superRefine((key, ctx) => {
  const problem = labelKeyProblem(key);
  if (problem) ctx.addIssue({ code: "custom", message: problem, input: key });
});

export const labelValue = z
  .string()
  .max(63, "a Kubernetes label value: at most 63 characters")
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, "a Kubernetes label value: up to 63 of A-Z, a-z, 0-9, '-', '_', '.', starting and ending with a letter or digit");

/** Labels as a node selector or node labels: keys and values both checked. */
export const labels = z.record(labelKey, labelValue);

/** A lowercase DNS name with at least two labels, each label at most 63 characters. */
export const hostname = z
  .string()
  .max(253, "a DNS name: at most 253 characters")
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/, "a lowercase DNS name such as dev.llm.example.com")
  .refine((name) => name.split(".").every((label) => label.length <= 63), "a DNS name whose labels (the parts between dots) have at most 63 characters each");

/**
 * An S3 bucket name as AWS (and MinIO, Ceph RGW, R2) accept it: 3-63 characters of a-z, 0-9, '.'
 * and '-', starting and ending with a letter or digit, not an IP address, no reserved prefix or suffix.
 */
export const s3BucketName = z
  .string()
  .superRefine((bucket, ctx) => {
    const allowed = "an S3 bucket name: 3 to 63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit, no '..', not an IP address, not starting xn-- or sthree-, not ending -s3alias or --ol-s3";
    const bad =
      bucket.length < 3 || bucket.length > 63 ||
      !/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(bucket) ||
      bucket.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(bucket) ||
      /^(xn--|sthree-)/.test(bucket) || /(-s3alias|--ol-s3)$/.test(bucket);
    if (bad) ctx.addIssue({ code: "custom", message: allowed, input: bucket });
  });

/** Object-storage endpoint: an http(s) URL of the S3 API, not an s3:// bucket address. */
export const objectStorageEndpoint = z.string().superRefine((endpoint, ctx) => {
  const fail = (message: string) => ctx.addIssue({ code: "custom", message, input: endpoint });
  if (/^s3:\/\//i.test(endpoint)) return fail("the S3 API's https:// URL (such as https://s3.lab.example.com), not an s3:// bucket address: the bucket goes in objectStorage.bucket");
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return fail("an https:// URL of the S3 API, such as https://s3.lab.example.com (http:// only outside prod)");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return fail(`an https:// URL of the S3 API (http:// only outside prod), not ${url.protocol}//`);
  if (url.pathname !== "/" || url.search || url.hash) return fail("the S3 API's base URL without a path (the bucket goes in objectStorage.bucket), such as https://s3.lab.example.com");
});
