import type * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import { PrometheusOperatorCrds } from "../components/monitoring/prometheus-operator-crds";
import type { MonitoringLayer } from "../components/monitoring/types";
import type { LoadedConfig } from "./config";

/** Names the monitoring stack fixes; NetworkPolicies and the KEDA scaler rely on them. */
export const monitoringConventions = {
  namespace: "monitoring",
  prometheusService: "kube-prometheus-stack-prometheus",
  prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" },
} as const;

/** Installs the Prometheus Operator CRDs and returns the layer workloads use, or undefined when off. */
export function createMonitoringLayer(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  opts: pulumi.ComponentResourceOptions,
): MonitoringLayer | undefined {
  if (!config.addons.monitoring.enabled) return undefined;
  const crds = new PrometheusOperatorCrds(`${name}-prometheus-crds`, { provider: cluster.provider }, opts);
  const { namespace, prometheusService, prometheusPodLabels } = monitoringConventions;
  return {
    crds: crds.release,
    prometheusUrl: `http://${prometheusService}.${namespace}.svc:9090`,
    prometheusNamespace: namespace,
    prometheusPodLabels,
  };
}
