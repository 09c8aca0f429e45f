import type * as pulumi from "@pulumi/pulumi";

/** What an Ingress needs from the ingress layer: names and annotations only, no resources. */
export interface IngressRouting {
  /** IngressClass name for `spec.ingressClassName`. */
  readonly className: string;
  /** Namespace and pod labels of the controller, for NetworkPolicies that let only it in. */
  readonly controllerNamespace: string;
  readonly controllerPodLabels: Readonly<Record<string, string>>;
  /** The public host of a service: `<service>.<domain>`. */
  host(service: string): string;
  /** Annotations and secret name that give an Ingress for `host` a certificate from the stack's issuer. */
  tls(host: string): IngressTls;
}

/**
 * The ingress layer every exposed endpoint goes through. Add-ons only see this interface, so a
 * Gateway API implementation can replace ingress-nginx later without touching them.
 */
export interface IngressLayer extends IngressRouting {
  /**
   * Ready once the controller's admission webhook can answer. Its ValidatingWebhookConfiguration
   * (failurePolicy Fail) exists before a post-install hook patches in its caBundle, so anything that
   * creates an Ingress must depend on this, or its first install can be rejected.
   */
  readonly ready: pulumi.Resource;
}

export interface IngressTls {
  readonly annotations: Readonly<Record<string, string>>;
  readonly secretName: string;
}
