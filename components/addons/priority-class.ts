import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** A PriorityClass for one kind of workload; `preempts: false` makes its pods wait instead of evicting others. */
export function priorityClass(
  resourceName: string,
  spec: { readonly name: string; readonly value: number; readonly preempts: boolean; readonly description: string },
  opts: pulumi.CustomResourceOptions,
): k8s.scheduling.v1.PriorityClass {
  return new k8s.scheduling.v1.PriorityClass(
    resourceName,
    {
      metadata: { name: spec.name },
      value: spec.value,
      preemptionPolicy: spec.preempts ? "PreemptLowerPriority" : "Never",
      description: spec.description,
    },
    opts,
  );
}

/**
 * Kubernetes' built-in class for per-node agents (log shippers, metrics exporters): above any class of
 * ours, so a serving pod that preempts on a crowded GPU node never evicts them.
 */
export const nodeCriticalPriority = "system-node-critical";

/**
 * Admits `system-node-critical` pods in a namespace on clusters that ration that class by quota: GKE
 * accepts them outside kube-system only in a namespace with a ResourceQuota scoped to it (its own
 * `gcp-critical-pods` exists in kube-system only). The limit is generous: it only has to exist.
 */
export function nodeCriticalQuota(
  resourceName: string,
  metadata: { readonly name: string; readonly namespace: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.ResourceQuota {
  return new k8s.core.v1.ResourceQuota(
    resourceName,
    {
      metadata,
      spec: {
        hard: { pods: "1000" },
        scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "In", values: [nodeCriticalPriority] }] },
      },
    },
    opts,
  );
}
