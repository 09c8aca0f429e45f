import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReleaseInNamespace } from "../addons/chart-release";
import { charts } from "../versions";

export interface EckOperatorArgs {
  readonly provider: k8s.Provider;
  /** @default "elastic-system" */
  readonly namespace?: string;
  /**
   * The Prometheus Operator CRDs release when monitoring is on: the operator then exposes metrics
   * and ships a PodMonitor. Undefined turns its monitors off, so nothing needs the CRDs.
   */
  readonly monitoringCrds?: pulumi.Resource;
}

/** Helm values for the ECK operator; pure. */
export function eckOperatorValues(monitoring: boolean) {
  return {
    // The chart's ServiceMonitor only renders in metrics secureMode; the PodMonitor scrapes the plain
    // metrics port, which is 0 (off) unless set.
    config: { metrics: { port: monitoring ? "8080" : "0" } },
    podMonitor: { enabled: monitoring },
    serviceMonitor: { enabled: false },
  };
}

/** Elastic Cloud on Kubernetes: the CRDs, webhook and operator that run Elasticsearch and Kibana. */
export class EckOperator extends pulumi.ComponentResource {
  /** Installs the CRDs and validating webhook; Elasticsearch and Kibana resources wait on it. */
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: EckOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:EckOperator", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    ({ release: this.release } = chartReleaseInNamespace(
      name,
      charts.eckOperator,
      { namespace: args.namespace ?? "elastic-system", values: eckOperatorValues(args.monitoringCrds !== undefined) },
      { ...k8sOpts, dependsOn: args.monitoringCrds ? [args.monitoringCrds] : [] },
    ));
    this.registerOutputs({ status: this.release.status });
  }
}
