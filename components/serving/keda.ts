import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReleaseInNamespace } from "../addons/chart-release";
import { charts } from "../versions";

export interface KedaArgs {
  readonly provider: k8s.Provider;
  /** @default "keda" */
  readonly namespace?: string;
}

/**
 * KEDA, which turns a ScaledObject (queue depth in Prometheus) into an HPA. Installed only when a
 * model autoscales; serving releases that ship a ScaledObject depend on `release` for its CRD.
 */
export class Keda extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: KedaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:serving:Keda", name, {}, opts);
    ({ release: this.release } = chartReleaseInNamespace(
      name,
      charts.keda,
      // The chart's own CRDs, so that the ScaledObject kind exists once this release is ready.
      { namespace: args.namespace ?? "keda", values: { crds: { install: true } } },
      { parent: this, provider: args.provider },
    ));
    this.registerOutputs({ status: this.release.status });
  }
}
