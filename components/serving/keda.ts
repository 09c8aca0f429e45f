import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../addons/chart-release";
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
    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: args.namespace ?? "keda" } },
      { parent: this, provider: args.provider },
    );
    this.release = chartRelease(
      `${name}-release`,
      charts.keda,
      // The chart's own CRDs, so that the ScaledObject kind exists once this release is ready.
      { namespace: namespace.metadata.name, values: { crds: { install: true } } },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
