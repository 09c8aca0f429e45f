import type * as pulumi from "@pulumi/pulumi";

/** The front door's implementation; chosen per stack (`addons.ingress.implementation`). */
export type FrontDoorImplementation = "envoy-gateway" | "ingress-nginx";

/** The Gateway that HTTPRoutes attach to (Gateway API front door only). */
export interface GatewayRef {
  readonly name: string;
  readonly namespace: string;
  /** The Gateway's HTTPS listener for `host` (every public host has its own, for its certificate). */
  listener(host: string): string;
}

/** What an Ingress or HTTPRoute needs from the ingress layer: names and annotations only, no resources. */
export interface IngressRouting {
  readonly implementation: FrontDoorImplementation;
  /** IngressClass name for `spec.ingressClassName` (ingress-nginx), or the GatewayClass (envoy-gateway). */
  readonly className: string;
  /** Set for the Gateway API front door: add-ons create HTTPRoutes to it instead of Ingresses. */
  readonly gateway?: GatewayRef;
  /** Namespace and pod labels of the proxies traffic comes from, for NetworkPolicies that let only them in. */
  readonly controllerNamespace: string;
  readonly controllerPodLabels: Readonly<Record<string, string>>;
  /** The public host of a service: `<service>.<domain>`. */
  host(service: string): string;
  /** Annotations and secret name that give an Ingress for `host` a certificate from the stack's issuer. */
  tls(host: string): IngressTls;
}

/**
 * The ingress layer every exposed endpoint goes through. Add-ons only see this interface, so the
 * implementation (Envoy Gateway or ingress-nginx) is a per-stack choice that does not touch them.
 */
export interface IngressLayer extends IngressRouting {
  /**
   * What an Ingress or HTTPRoute must wait for. ingress-nginx: its admission webhook (failurePolicy
   * Fail) exists before a post-install hook patches in its caBundle, so an Ingress created earlier can
   * be rejected. Envoy Gateway: the Gateway API CRDs.
   */
  readonly ready: pulumi.Resource;
  /** The Envoy AI Gateway's CRDs, when the stack has the LLM API (Envoy Gateway front door with models). */
  readonly aiGatewayCrds?: pulumi.Resource;
}

export interface IngressTls {
  readonly annotations: Readonly<Record<string, string>>;
  readonly secretName: string;
}
