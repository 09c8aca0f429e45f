import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cloudPolicies } from "./cloud-policies";
import { kubernetesPolicies } from "./kubernetes-policies";

/**
 * Every policy of the pack, in its own module: constructing the PolicyPack (index.ts) starts a gRPC
 * server, so tests import this array and call each policy's validateResource directly.
 */
export const policies: ResourceValidationPolicy[] = [...cloudPolicies, ...kubernetesPolicies];
