import type * as pulumi from "@pulumi/pulumi";

/** What workloads need from the monitoring stack to be scraped and to read metrics. */
export interface MonitoringLayer {
  /**
   * The resource that installs the Prometheus Operator CRDs (ServiceMonitor, PodMonitor,
   * PrometheusRule). Anything that creates one of those depends on this, and on nothing else.
   */
  readonly crds: pulumi.Resource;
  /** In-cluster Prometheus URL, e.g. for KEDA's Prometheus scaler. */
  readonly prometheusUrl: string;
  /** Namespace and pod labels of Prometheus, for NetworkPolicies that let it scrape. */
  readonly prometheusNamespace: string;
  readonly prometheusPodLabels: Readonly<Record<string, string>>;
}
