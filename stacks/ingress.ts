import * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import { AiGateway, envoyGatewayExtensionConfig } from "../components/ingress/ai-gateway";
import { CertManager, type Http01Route } from "../components/ingress/cert-manager";
import { EnvoyGateway, envoyProxyPodLabels } from "../components/ingress/envoy-gateway";
import { httpListenerName, listenerName, type LoadBalancerFlavour } from "../components/ingress/gateway-manifests";
import { IngressNginx } from "../components/ingress/ingress-nginx";
import type { IngressLayer, IngressRouting } from "../components/ingress/types";
import type { MonitoringLayer } from "../components/monitoring/types";
import type { LoadedConfig } from "./config";
import { mlflowEnabled } from "./config/addons";

/** Names each ingress implementation fixes; NetworkPolicies, Ingresses and HTTPRoutes elsewhere rely on them. */
export const ingressConventions = {
  className: "nginx",
  namespace: "ingress-nginx",
  podLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
  /** The ClusterIssuer every certificate comes from. */
  clusterIssuer: (issuer: LoadedConfig["tls"]["issuer"]) => `llm-platform-${issuer}`,
} as const;

/** The Gateway API front door's names: Envoy Gateway runs its proxies in its own namespace. */
export const gatewayConventions = {
  className: "llm-platform",
  gatewayName: "llm-platform",
  namespace: "envoy-gateway-system",
  podLabels: envoyProxyPodLabels,
} as const;

/** Whether the stack has the one LLM API at `api.<domain>` (Envoy AI Gateway): the Gateway front door with models. */
export const llmApiEnabled = (config: Pick<LoadedConfig, "addons" | "models">): boolean =>
  config.addons.ingress.enabled && config.addons.ingress.implementation === "envoy-gateway" && config.models.length > 0;

/** Whether some consumer of the LLM API has a budget, which needs Envoy Gateway's global rate limit (and its Redis). */
export const consumerBudgets = (config: Pick<LoadedConfig, "addons" | "models" | "serving">): boolean =>
  llmApiEnabled(config) && config.serving.consumers.some((consumer) => consumer.tokensPerHour !== undefined || consumer.requestsPerMinute !== undefined);

/** The host of the LLM API, under the stack's domain. */
export const llmApiService = "api";

/**
 * The services add-ons put on `<service>.<domain>` behind the Gateway, from what the stack turns on.
 * Models have no host of their own there: they are served through the LLM API. Pure.
 */
export function exposedServices(config: Pick<LoadedConfig, "addons" | "models">): string[] {
  const { addons } = config;
  return [
    ...(llmApiEnabled(config) ? [llmApiService] : []),
    ...(addons.argocd.enabled ? ["argocd"] : []),
    ...(addons.argoWorkflows.enabled ? ["workflows"] : []),
    ...(mlflowEnabled(addons) ? ["mlflow"] : []),
    ...(addons.monitoring.enabled ? ["grafana"] : []),
    ...(addons.logging.enabled ? ["kibana"] : []),
  ];
}

/** How add-ons route through the ingress layer, or undefined when ingress is off. Pure. */
export function ingressRouting(config: LoadedConfig): IngressRouting | undefined {
  if (!config.addons.ingress.enabled) return undefined;
  const issuer = ingressConventions.clusterIssuer(config.tls.issuer);
  const tls = (host: string) => ({ annotations: { "cert-manager.io/cluster-issuer": issuer }, secretName: `${host.split(".")[0]}-tls` });
  const host = (service: string) => `${service}.${config.domain}`;
  if (config.addons.ingress.implementation === "ingress-nginx") {
    return {
      implementation: "ingress-nginx",
      className: ingressConventions.className,
      controllerNamespace: ingressConventions.namespace,
      controllerPodLabels: ingressConventions.podLabels,
      host,
      tls,
    };
  }
  return {
    implementation: "envoy-gateway",
    className: gatewayConventions.className,
    gateway: {
      name: gatewayConventions.gatewayName,
      namespace: gatewayConventions.namespace,
      listener: (listenerHost) => listenerName(listenerHost, config.domain),
    },
    controllerNamespace: gatewayConventions.namespace,
    controllerPodLabels: gatewayConventions.podLabels,
    host,
    tls,
  };
}

/** The cloud's load balancer for the Envoy proxies; an existing or provisioned k3s uses ServiceLB. */
const flavourOf = (config: LoadedConfig): LoadBalancerFlavour => config.cluster.provider;

export interface IngressLayerResult {
  readonly layer?: IngressLayer;
  /** The load balancer address to point `*.<domain>` at (Gateway front door only). */
  readonly gatewayAddress?: pulumi.Output<string>;
  /** The private CA's certificate (PEM) when cert-manager runs one (tls.issuer "private-ca"). */
  readonly caCertificate?: pulumi.Output<string>;
}

/**
 * Installs the front door (Envoy Gateway or ingress-nginx) and cert-manager with its ClusterIssuer so
 * that they match the conventions above, and returns the layer (undefined when ingress is off).
 */
export function createIngress(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  monitoring: MonitoringLayer | undefined,
  opts: pulumi.ComponentResourceOptions,
): IngressLayerResult {
  const routing = ingressRouting(config);
  const { addons, tls } = config;
  const scraped = monitoring ? { monitoring } : {};
  let layer: IngressLayer | undefined;
  let gateway: EnvoyGateway | undefined;
  if (routing?.gateway) {
    const aiGateway = llmApiEnabled(config)
      ? new AiGateway(`${name}-ai-gateway`, { provider: cluster.provider, envoyGatewayNamespace: gatewayConventions.namespace }, opts)
      : undefined;
    const issuerAnnotations = { "cert-manager.io/cluster-issuer": ingressConventions.clusterIssuer(tls.issuer) };
    gateway = new EnvoyGateway(
      `${name}-envoy-gateway`,
      {
        provider: cluster.provider,
        namespace: gatewayConventions.namespace,
        className: gatewayConventions.className,
        gatewayName: gatewayConventions.gatewayName,
        domain: config.domain,
        hosts: exposedServices(config).map((service) => routing.host(service)).map((host) => ({ host, secretName: routing.tls(host).secretName })),
        certificateAnnotations: issuerAnnotations,
        flavour: flavourOf(config),
        replicas: addons.ingress.replicas,
        serviceType: addons.ingress.serviceType,
        ...scraped,
        ...(aiGateway ? { extension: envoyGatewayExtensionConfig(aiGateway.namespace), aiGatewayMetrics: true } : {}),
        ...(consumerBudgets(config) ? { globalRateLimit: true } : {}),
      },
      opts,
    );
    // HTTPRoutes and policies need only the CRDs; the controller reconciles them whenever it is up.
    layer = { ...routing, ready: gateway.crds, ...(aiGateway ? { aiGatewayCrds: aiGateway.crds } : {}) };
  } else if (routing) {
    const controller = new IngressNginx(
      `${name}-ingress-nginx`,
      {
        provider: cluster.provider,
        className: ingressConventions.className,
        namespace: ingressConventions.namespace,
        replicas: addons.ingress.replicas,
        serviceType: addons.ingress.serviceType,
        eksNlb: config.cluster.provider === "eks",
        ...scraped,
      },
      opts,
    );
    // The release waits for its post-install hook, which patches the admission webhook's caBundle.
    layer = { ...routing, ready: controller.release };
  }
  let caCertificate: pulumi.Output<string> | undefined;
  if (addons.certManager.enabled) {
    const http01: Http01Route = routing?.gateway
      ? { gateway: { name: routing.gateway.name, namespace: routing.gateway.namespace, sectionName: httpListenerName } }
      : { ingressClassName: ingressConventions.className };
    ({ caCertificate } = new CertManager(
      `${name}-cert-manager`,
      {
        provider: cluster.provider,
        clusterIssuerName: ingressConventions.clusterIssuer(tls.issuer),
        issuer: tls.issuer,
        ...(tls.acmeEmail ? { acmeEmail: tls.acmeEmail } : {}),
        http01,
        ...(gateway ? { gatewayApiCrds: gateway.crds } : {}),
        caCommonName: `llm-platform ${pulumi.getStack()} CA`,
      },
      opts,
    ));
  }
  return {
    ...(layer ? { layer } : {}),
    ...(gateway ? { gatewayAddress: gateway.address } : {}),
    ...(caCertificate ? { caCertificate } : {}),
  };
}
