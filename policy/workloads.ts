import type * as k8s from "@pulumi/kubernetes/types/input";
import type { Unwrap } from "@pulumi/pulumi";

export type PodSpec = Unwrap<k8s.core.v1.PodSpec>;
export type Container = Unwrap<k8s.core.v1.Container>;
type ObjectMeta = Unwrap<k8s.meta.v1.ObjectMeta>;

/** Where each workload kind keeps its pod spec. */
const podSpecPaths: Record<string, string[]> = {
  "kubernetes:core/v1:Pod": ["spec"],
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
};

export const workloadTypes = Object.keys(podSpecPaths);

/**
 * A workload's pod spec and identity. During a preview the policy server hands over props whose
 * values from other resources are unknown (a namespace from a Namespace's output), and reading one
 * throws; so namespace and name are read only when a check needs them, and a check that never does
 * (resources, images) decides on the pod spec alone.
 */
export interface Workload {
  /** Kind as written in the manifest, e.g. "DaemonSet". */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly podSpec: PodSpec;
  readonly containers: Container[];
}

/** The pod spec and identity of a workload resource, or undefined for any other type. */
export function workloadOf(type: string, props: Record<string, unknown>, resourceName: string): Workload | undefined {
  const path = podSpecPaths[type];
  if (!path) return undefined;
  let podSpec: unknown = props;
  for (const key of path) podSpec = (podSpec as Record<string, unknown> | undefined)?.[key];
  const spec = (podSpec ?? {}) as PodSpec;
  const metadata = () => (props.metadata ?? {}) as ObjectMeta;
  return {
    kind: type.split(":").pop()!,
    get namespace() {
      return metadata().namespace ?? "default";
    },
    // Without metadata.name Pulumi auto-names the object after the resource name.
    get name() {
      return metadata().name ?? resourceName;
    },
    podSpec: spec,
    containers: [...(spec.initContainers ?? []), ...(spec.containers ?? [])],
  };
}
