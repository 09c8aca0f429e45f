import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease, chartReleaseInNamespace } from "../addons/chart-release";
import type { MonitoringLayer } from "../monitoring/types";
import { charts } from "../versions";
import { RateLimitRedis } from "./rate-limit-redis";
import {
  clientKeepaliveManifest,
  envoyProxyManifest,
  gatewayClassManifest,
  gatewayManifest,
  httpsRedirectManifest,
  type GatewayHost,
  type LoadBalancerFlavour,
} from "./gateway-manifests";

export interface EnvoyGatewayArgs {
  readonly provider: k8s.Provider;
  readonly namespace: string;
  /** GatewayClass and Gateway name. */
  readonly className: string;
  readonly gatewayName: string;
  readonly domain: string;
  /** Every public host, each with its own HTTPS listener and certificate. */
  readonly hosts: readonly GatewayHost[];
  /** Gateway annotations for cert-manager's gateway-shim (the ClusterIssuer). */
  readonly certificateAnnotations: Readonly<Record<string, string>>;
  readonly flavour: LoadBalancerFlavour;
  /** Envoy proxy replicas. @default 2 */
  readonly replicas?: number;
  /** @default "LoadBalancer" */
  readonly serviceType?: "LoadBalancer" | "NodePort";
  /** When set, Prometheus scrapes the proxies (a PodMonitor needs the layer's CRDs). */
  readonly monitoring?: MonitoringLayer;
  /** EnvoyGateway settings for an extension server (the AI gateway: envoyGatewayExtensionConfig). @default none */
  readonly extension?: Record<string, unknown>;
  /** Scrape the AI gateway's external processor too (its sidecar in each proxy pod, port aigw-admin). @default false */
  readonly aiGatewayMetrics?: boolean;
  /** Run a Redis for global rate limits (the LLM API's consumer budgets). @default false */
  readonly globalRateLimit?: boolean;
}

/** Labels of the pods of Envoy Gateway's rate-limit service (internal/infrastructure/kubernetes/ratelimit, v1.9.0). */
export const rateLimitPodLabels = { "app.kubernetes.io/name": "envoy-ratelimit" } as const;

/** Values for the CRD chart: the standard Gateway API channel and Envoy Gateway's own CRDs. */
export const gatewayCrdsValues = { crds: { gatewayAPI: { enabled: true, channel: "standard" }, envoyGateway: { enabled: true } } } as const;

/** Values for the controller chart; its CRDs come from the CRD release, so that Helm upgrades them. */
export const envoyGatewayValues = { crds: { enabled: false } } as const;

/**
 * Envoy Gateway as the stack's front door: the Gateway API CRDs as their own release, the controller,
 * and one Gateway whose proxies sit behind the cloud's L4 load balancer. Certificates come from
 * cert-manager's Gateway API support; add-ons attach HTTPRoutes to the Gateway's listeners.
 */
export class EnvoyGateway extends pulumi.ComponentResource {
  /** The Gateway API and Envoy Gateway CRDs: routes and policies wait on this and nothing else. */
  readonly crds: k8s.helm.v3.Release;
  readonly release: k8s.helm.v3.Release;
  readonly gateway: k8s.apiextensions.CustomResource;
  /** The load balancer's hostname (EKS) or IP (GKE, k3s), once the proxies' Service has one. */
  readonly address: pulumi.Output<string>;

  constructor(name: string, args: EnvoyGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:EnvoyGateway", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const { namespace, release: crds } = chartReleaseInNamespace(
      `${name}-crds`,
      charts.gatewayCrds,
      { namespace: args.namespace, values: gatewayCrdsValues },
      k8sOpts,
    );
    this.crds = crds;
    const redis = args.globalRateLimit
      ? new RateLimitRedis(`${name}-redis`, { provider: args.provider, namespace: args.namespace, clientPodLabels: rateLimitPodLabels, dependsOn: [namespace] }, { parent: this })
      : undefined;
    // EnvoyGateway settings beyond the chart's defaults; the chart merges config.envoyGateway into them.
    const settings = {
      ...args.extension,
      // Envoy Gateway then runs its rate-limit service, which keeps the counters in this Redis.
      ...(redis ? { rateLimit: { backend: { type: "Redis", redis: { url: redis.url } } } } : {}),
    };
    this.release = chartRelease(
      `${name}-release`,
      charts.envoyGateway,
      {
        namespace: namespace.metadata.name,
        values: Object.keys(settings).length > 0 ? { ...envoyGatewayValues, config: { envoyGateway: settings } } : envoyGatewayValues,
      },
      // The controller needs the Gateway API CRDs at start.
      { ...k8sOpts, dependsOn: [crds] },
    );
    const afterCrds = { ...k8sOpts, dependsOn: [crds] };
    const custom = (suffix: string, manifest: Record<string, unknown>) =>
      new k8s.apiextensions.CustomResource(`${name}-${suffix}`, manifest as k8s.apiextensions.CustomResourceArgs, afterCrds);

    const proxyName = `${args.gatewayName}-proxy`;
    custom(
      "proxy",
      envoyProxyManifest({
        name: proxyName,
        namespace: args.namespace,
        flavour: args.flavour,
        replicas: args.replicas ?? 2,
        serviceType: args.serviceType ?? "LoadBalancer",
      }),
    );
    custom("class", gatewayClassManifest(args.className, { name: proxyName, namespace: args.namespace }));
    // The one object that waits for the controller: its address (gatewayAddress, for the DNS records)
    // appears only once Envoy Gateway has the proxies' load balancer, and Programmed says so.
    this.gateway = new k8s.apiextensions.CustomResource(
      `${name}-gateway`,
      gatewayManifest({
        name: args.gatewayName,
        namespace: args.namespace,
        className: args.className,
        domain: args.domain,
        hosts: args.hosts,
        annotations: { ...args.certificateAnnotations, "pulumi.com/waitFor": "condition=Programmed" },
      }) as k8s.apiextensions.CustomResourceArgs,
      { ...k8sOpts, dependsOn: [crds, this.release] },
    );
    custom("https-redirect", httpsRedirectManifest(`${args.gatewayName}-https-redirect`, { name: args.gatewayName, namespace: args.namespace }));
    custom("keepalive", clientKeepaliveManifest(`${args.gatewayName}-keepalive`, { name: args.gatewayName, namespace: args.namespace }));
    if (args.monitoring) {
      // The proxies serve Prometheus stats on their admin port; the controller names them by these labels.
      new k8s.apiextensions.CustomResource(
        `${name}-proxy-metrics`,
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PodMonitor",
          metadata: { name: "envoy-proxy", namespace: args.namespace },
          spec: {
            selector: { matchLabels: envoyProxyPodLabels },
            podMetricsEndpoints: [
              { port: "metrics", path: "/stats/prometheus" },
              // The AI gateway's sidecar (extproc_builder.go names its port) serves the gen_ai metrics.
              ...(args.aiGatewayMetrics ? [{ port: "aigw-admin", path: "/metrics" }] : []),
            ],
          },
        },
        { ...k8sOpts, dependsOn: [args.monitoring.crds] },
      );
    }
    const status = this.gateway as unknown as { status: pulumi.Output<{ addresses?: { value: string }[] } | undefined> };
    this.address = pulumi.output(status.status).apply((s) => s?.addresses?.[0]?.value ?? "");
    this.registerOutputs({ status: this.release.status, address: this.address });
  }
}

/** Labels Envoy Gateway puts on every proxy pod it runs. */
export const envoyProxyPodLabels = { "app.kubernetes.io/name": "envoy", "app.kubernetes.io/component": "proxy" } as const;
