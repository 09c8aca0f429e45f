import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { Ingress, NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { PriorityClass } from "kubernetes-models/scheduling.k8s.io/v1";
import { Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from "kubernetes-models/v1";

interface Validatable {
  validate(): void;
}
// Their base class's types do not resolve under this project's CommonJS module resolution; validate() exists at run time.
type ModelClass = new (object: never) => object;

/** Upstream schemas per `apiVersion/kind`, from kubernetes-models and @kubernetes-models/*. */
const models: Record<string, ModelClass> = {
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "scheduling.k8s.io/v1/PriorityClass": PriorityClass,
  "v1/Namespace": Namespace,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
};

/** Validates a manifest against its upstream schema; throws for a kind this table does not know. */
export function validateManifest(object: Record<string, unknown>): void {
  const key = `${String(object.apiVersion)}/${String(object.kind)}`;
  const Model = models[key];
  if (!Model) throw new Error(`no schema for ${key}; add it to test/support/kube-models.ts`);
  (new Model(object as never) as Validatable).validate();
}
