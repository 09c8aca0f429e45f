import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReleaseInNamespace } from "../addons/chart-release";
import type { MonitoringLayer } from "../monitoring/types";
import { charts } from "../versions";
import { awsNlbAnnotations } from "./gateway-manifests";

export interface IngressNginxArgs {
  readonly provider: k8s.Provider;
  /** IngressClass the controller serves; made the cluster default. */
  readonly className: string;
  readonly namespace: string;
  /** @default 2 */
  readonly replicas?: number;
  /** @default "LoadBalancer" */
  readonly serviceType?: "LoadBalancer" | "NodePort";
  /**
   * EKS: a Network Load Balancer (350 s TCP idle timeout) instead of a Classic ELB, whose 60 s idle
   * timeout cuts a completion that sends nothing for a minute. @default false
   */
  readonly eksNlb?: boolean;
  /** When set, the controller exposes metrics and a ServiceMonitor, which needs the layer's CRDs. */
  readonly monitoring?: MonitoringLayer;
}

/** Chart values for ingress-nginx; pure, so tests can check every key against the pinned chart. */
export function ingressNginxValues(args: Omit<IngressNginxArgs, "provider" | "namespace">): Record<string, unknown> {
  const scraped = args.monitoring !== undefined;
  return {
    controller: {
      replicaCount: args.replicas ?? 2,
      ingressClass: args.className,
      ingressClassResource: { name: args.className, enabled: true, default: true },
      // Snippet annotations let anyone who can create an Ingress inject nginx config (CVE-2021-25742, CVE-2025-1974).
      allowSnippetAnnotations: false,
      service: {
        type: args.serviceType ?? "LoadBalancer",
        ...(args.eksNlb && (args.serviceType ?? "LoadBalancer") === "LoadBalancer" ? { annotations: { ...awsNlbAnnotations } } : {}),
      },
      metrics: { enabled: scraped, serviceMonitor: { enabled: scraped } },
    },
  };
}

/**
 * The ingress-nginx controller, pinned to its final release: the project was retired upstream in
 * March 2026 and gets no more fixes, security fixes included. Kept as a per-stack choice for teams
 * still migrating; Envoy Gateway is the default front door.
 */
export class IngressNginx extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: IngressNginxArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:IngressNginx", name, {}, opts);
    ({ release: this.release } = chartReleaseInNamespace(
      name,
      charts.ingressNginx,
      { namespace: args.namespace, values: ingressNginxValues(args) },
      // The ServiceMonitor is the only thing here that needs another add-on: the operator's CRDs.
      { parent: this, provider: args.provider, dependsOn: args.monitoring ? [args.monitoring.crds] : [] },
    ));
    this.registerOutputs({ status: this.release.status });
  }
}
