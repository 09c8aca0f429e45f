import * as aws from "./aws-services";
import type * as pulumi from "@pulumi/pulumi";
import { tlsOnlyBucketPolicy } from "./policies";

type AwsOptions = { parent: pulumi.Resource; provider: aws.Provider };

/**
 * The stack's bucket for model weights and pipeline artifacts: private (public access blocked, ACLs
 * disabled), encrypted at rest, TLS only, versioned so an overwritten model can be recovered.
 * `protect` keeps `pulumi destroy` from deleting it; unprotected (dev) buckets may be destroyed with their objects.
 */
export function createModelBucket(name: string, protect: boolean, opts: AwsOptions): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(`${name}-models`, { forceDestroy: !protect }, { ...opts, protect });
  const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-models`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  }, opts);
  new aws.s3.BucketOwnershipControls(`${name}-models`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-models`, {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
  }, opts);
  new aws.s3.BucketVersioning(`${name}-models`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  new aws.s3.BucketPolicy(`${name}-models`, {
    bucket: bucket.id,
    policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
  }, { ...opts, dependsOn: [publicAccess] });
  return bucket;
}
