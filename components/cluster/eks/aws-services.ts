/**
 * The parts of @pulumi/aws the EKS cluster uses, one service module at a time. Importing the package
 * root makes TypeScript read all of its ~2,700 declaration files, which was most of the time of the
 * type check and of the type-aware lint; at run time the root loads its services lazily either way.
 * Import from here as `import * as aws from "./aws-services"`; add a service here when a file needs it.
 */
export * as autoscaling from "@pulumi/aws/autoscaling";
export * as cloudwatch from "@pulumi/aws/cloudwatch";
export * as ec2 from "@pulumi/aws/ec2";
export * as eks from "@pulumi/aws/eks";
export * as iam from "@pulumi/aws/iam";
export * as kms from "@pulumi/aws/kms";
export * as s3 from "@pulumi/aws/s3";
export * as ssm from "@pulumi/aws/ssm";
export * as vpc from "@pulumi/aws/vpc";
export { Provider } from "@pulumi/aws/provider";
export type { Region } from "@pulumi/aws/types/enums";
export { getAvailabilityZonesOutput } from "@pulumi/aws/getAvailabilityZones";
export { getCallerIdentityOutput } from "@pulumi/aws/getCallerIdentity";
export { getPartitionOutput } from "@pulumi/aws/getPartition";
