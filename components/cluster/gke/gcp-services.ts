/**
 * The parts of @pulumi/gcp the GKE cluster uses, one service module at a time. Importing the package
 * root makes TypeScript read all of its ~2,100 declaration files, which was most of the time of the
 * type check and of the type-aware lint; at run time the root loads its services lazily either way.
 * Import from here as `import * as gcp from "./gcp-services"`; add a service here when a file needs it.
 */
export * as compute from "@pulumi/gcp/compute";
export * as container from "@pulumi/gcp/container";
export * as kms from "@pulumi/gcp/kms";
export * as projects from "@pulumi/gcp/projects";
export * as serviceaccount from "@pulumi/gcp/serviceaccount";
export * as storage from "@pulumi/gcp/storage";
export * as types from "@pulumi/gcp/types";
export { Provider } from "@pulumi/gcp/provider";
