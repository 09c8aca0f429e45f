/**
 * The Gateway API and Envoy Gateway objects of the front door, as pure functions so that tests can
 * validate each against the pinned upstream schemas without a cluster.
 */

/** Which load balancer the cloud makes for the Envoy proxies' Service. */
export type LoadBalancerFlavour = "eks" | "gke" | "k3s";

/** Envoy Gateway's controller name, fixed by its chart's `config.envoyGateway.gateway.controllerName`. */
export const envoyGatewayControllerName = "gateway.envoyproxy.io/gatewayclass-controller";

/**
 * An AWS Network Load Balancer's TCP idle timeout, which EKS's cloud controller leaves at AWS's default.
 * Only the AWS Load Balancer Controller can change it, and only for Services it owns (type `external`),
 * which the platform does not install; TCP keepalives restart the timer instead.
 */
export const nlbIdleTimeoutSeconds = 350;

/**
 * The Service annotation that makes EKS's cloud controller create a Network Load Balancer instead of a
 * Classic ELB (60 s idle timeout, HTTP-aware).
 */
export const awsNlbAnnotations = { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" } as const;

/**
 * TCP keepalives from Envoy to each client: a non-streamed completion that sends nothing for minutes keeps
 * its connection through the load balancer, whose idle timer every probe restarts.
 */
export const clientTcpKeepalive = { idleTime: "60s", interval: "30s" } as const;

/** Keepalives on every connection the Gateway accepts (`gateway.envoyproxy.io/v1alpha1` ClientTrafficPolicy). */
export function clientKeepaliveManifest(name: string, gateway: { name: string; namespace: string }): Record<string, unknown> {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "ClientTrafficPolicy",
    metadata: { name, namespace: gateway.namespace },
    spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gateway.name }], tcpKeepalive: { ...clientTcpKeepalive } },
  };
}

export interface EnvoyProxyInput {
  readonly name: string;
  readonly namespace: string;
  readonly flavour: LoadBalancerFlavour;
  readonly replicas: number;
  readonly serviceType: "LoadBalancer" | "NodePort";
}

/** The proxies' Deployment and Service shape per cloud (`gateway.envoyproxy.io/v1alpha1` EnvoyProxy). */
export function envoyProxyManifest(input: EnvoyProxyInput): Record<string, unknown> {
  const service: Record<string, unknown> = { type: input.serviceType };
  if (input.serviceType === "LoadBalancer") {
    if (input.flavour === "eks") service.annotations = { ...awsNlbAnnotations };
    // GKE's regional external passthrough L4 load balancer: keeps the client's connection to Envoy.
    if (input.flavour === "gke") service.loadBalancerClass = "networking.gke.io/l4-regional-external";
    // k3s: ServiceLB binds the Service to the nodes' 80 and 443 (Traefik is disabled for that).
  }
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyProxy",
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      provider: {
        type: "Kubernetes",
        kubernetes: {
          envoyDeployment: { replicas: input.replicas },
          // Local: the client's address stays visible to Envoy and no second node hop is taken.
          envoyService: { ...service, ...(input.serviceType === "LoadBalancer" ? { externalTrafficPolicy: "Local" } : {}) },
        },
      },
    },
  };
}

/** The GatewayClass Envoy Gateway serves, with the cloud's EnvoyProxy as its parameters. */
export function gatewayClassManifest(name: string, envoyProxy: { name: string; namespace: string }): Record<string, unknown> {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "GatewayClass",
    metadata: { name },
    spec: {
      controllerName: envoyGatewayControllerName,
      parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: envoyProxy.name, namespace: envoyProxy.namespace },
    },
  };
}

/** One HTTPS listener per public host: cert-manager issues a certificate only for a listener with a hostname. */
export interface GatewayHost {
  readonly host: string;
  /** Secret (in the Gateway's namespace) that cert-manager writes the host's certificate to. */
  readonly secretName: string;
}

/** A listener's name for a host: `https-<first label(s)>`, a valid section name (no dots). */
export const listenerName = (host: string, domain: string) => `https-${host.slice(0, -(domain.length + 1)).replaceAll(".", "-")}`;

export interface GatewayInput {
  readonly name: string;
  readonly namespace: string;
  readonly className: string;
  readonly domain: string;
  readonly hosts: readonly GatewayHost[];
  /** Annotations that make cert-manager's gateway-shim issue each listener's certificate. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** The listener plain HTTP arrives on: ACME HTTP-01 challenges, and the redirect to HTTPS. */
export const httpListenerName = "http";

/** The stack's one Gateway: plain HTTP on 80, and HTTPS on 443 per host, terminated at Envoy. */
export function gatewayManifest(input: GatewayInput): Record<string, unknown> {
  // Routes come from the add-ons' own namespaces; a listener's hostname still bounds what a route can claim.
  const allowedRoutes = { namespaces: { from: "All" } };
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: input.name, namespace: input.namespace, annotations: { ...input.annotations } },
    spec: {
      gatewayClassName: input.className,
      listeners: [
        { name: httpListenerName, protocol: "HTTP", port: 80, allowedRoutes },
        ...input.hosts.map(({ host, secretName }) => ({
          name: listenerName(host, input.domain),
          hostname: host,
          protocol: "HTTPS",
          port: 443,
          tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: secretName }] },
          allowedRoutes,
        })),
      ],
    },
  };
}

/** Sends every plain-HTTP request to HTTPS; cert-manager's exact-path challenge routes win over it. */
export function httpsRedirectManifest(name: string, gateway: { name: string; namespace: string }): Record<string, unknown> {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: gateway.namespace },
    spec: {
      parentRefs: [{ name: gateway.name, sectionName: httpListenerName }],
      rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
    },
  };
}

export interface HttpRouteInput {
  readonly name: string;
  readonly namespace: string;
  readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string };
  readonly host: string;
  readonly service: string;
  readonly port: number;
  /** Paths routed (prefix match). @default ["/"] */
  readonly pathPrefixes?: readonly string[];
  /** Gateway API duration for the whole request, e.g. "630s"; Envoy's own default is 15 s. */
  readonly requestTimeout?: string;
}

/** An HTTPRoute from one HTTPS listener of the Gateway to a Service. */
export function httpRouteManifest(input: HttpRouteInput): Record<string, unknown> {
  const { gateway } = input;
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      parentRefs: [{ name: gateway.name, namespace: gateway.namespace, sectionName: gateway.sectionName }],
      hostnames: [input.host],
      rules: [
        {
          matches: (input.pathPrefixes ?? ["/"]).map((value) => ({ path: { type: "PathPrefix", value } })),
          backendRefs: [{ name: input.service, port: input.port }],
          ...(input.requestTimeout ? { timeouts: { request: input.requestTimeout } } : {}),
        },
      ],
    },
  };
}

/**
 * Sends an HTTPRoute's traffic to its Services' cluster address instead of their pods. Envoy Gateway
 * answers a route whose Service has no ready pod with a 503 of its own that no per-route metric counts;
 * through the Service address the request is tried, fails to connect and is counted on the route's
 * cluster, which is what wakes a model at zero replicas and what the availability SLO reads.
 */
export function serviceRoutingPolicyManifest(name: string, namespace: string, route: string): Record<string, unknown> {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    metadata: { name, namespace },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route }],
      routingType: "Service",
    },
  };
}
