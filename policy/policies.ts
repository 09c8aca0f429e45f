import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { cloudPolicies } from "./cloud-policies";
import { gatewayPolicies } from "./gateway-policies";
import { kubernetesPolicies } from "./kubernetes-policies";

/**
 * Every policy of the pack, in its own module: constructing the PolicyPack (index.ts) starts a gRPC
 * server, so tests import this array and call each policy's validateResource or validateStack directly.
 */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  ...cloudPolicies,
  ...kubernetesPolicies,
  ...gatewayPolicies.resource,
  ...gatewayPolicies.stack,
];
