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
