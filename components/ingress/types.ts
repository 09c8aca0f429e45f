/**
 * The ingress layer every exposed endpoint goes through. Add-ons only see this interface, so a
 * Gateway API implementation can replace ingress-nginx later without touching them.
 */
export interface IngressLayer {
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

export interface IngressTls {
  readonly annotations: Readonly<Record<string, string>>;
  readonly secretName: string;
}
