import * as pulumi from "@pulumi/pulumi";
import type { ObjectStore, WorkloadIdentity } from "../types";

/** Without a cloud IAM there is nothing to grant: workloads use in-cluster credentials. */
export const noIdentity: WorkloadIdentity = {
  kind: "none",
  grant: () => pulumi.output<Record<string, string>>({}),
};

export interface S3CompatibleStorageArgs {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
}

/** An S3-compatible bucket the stack does not create (MinIO, Ceph RGW, a cloud bucket...). */
export function s3CompatibleStore(storage: S3CompatibleStorageArgs | undefined): ObjectStore | undefined {
  if (!storage) return undefined;
  const { bucket, endpoint, region } = storage;
  return { kind: "s3-compatible", bucket: pulumi.output(bucket), url: pulumi.output(`s3://${bucket}`), endpoint, region };
}
