import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../addons/chart-release";
import { charts } from "../versions";

export interface PrometheusOperatorCrdsArgs {
  readonly provider: k8s.Provider;
  /** Namespace the (CRD-only) release is recorded in. @default "kube-system" */
  readonly namespace?: string;
}

/**
 * ServiceMonitor, PodMonitor and PrometheusRule CRDs, installed before and apart from Prometheus,
 * so that workloads that ship monitors wait only on the CRDs, not on the whole monitoring stack.
 */
export class PrometheusOperatorCrds extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: PrometheusOperatorCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:PrometheusOperatorCrds", name, {}, opts);
    this.release = chartRelease(
      `${name}-release`,
      charts.prometheusOperatorCrds,
      { namespace: args.namespace ?? "kube-system", values: {} },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
