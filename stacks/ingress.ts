import type * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import { CertManager } from "../components/ingress/cert-manager";
import { IngressNginx } from "../components/ingress/ingress-nginx";
import type { IngressLayer, IngressRouting } from "../components/ingress/types";
import type { MonitoringLayer } from "../components/monitoring/types";
import type { LoadedConfig } from "./config";

/** Names the ingress implementation fixes; NetworkPolicies and Ingresses elsewhere rely on them. */
export const ingressConventions = {
  className: "nginx",
  namespace: "ingress-nginx",
  podLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
  /** The ClusterIssuer every Ingress's certificate comes from. */
  clusterIssuer: (issuer: LoadedConfig["tls"]["issuer"]) => `llm-platform-${issuer}`,
} as const;

/** How add-ons route through the ingress layer, or undefined when ingress is off. Pure. */
export function ingressRouting(config: LoadedConfig): IngressRouting | undefined {
  if (!config.addons.ingress.enabled) return undefined;
  const issuer = ingressConventions.clusterIssuer(config.tls.issuer);
  return {
    className: ingressConventions.className,
    controllerNamespace: ingressConventions.namespace,
    controllerPodLabels: ingressConventions.podLabels,
    host: (service) => `${service}.${config.domain}`,
    tls: (host) => ({
      annotations: {
        "cert-manager.io/cluster-issuer": issuer,
        // A self-signed certificate is its own issuer. Without a common name its issuer name is empty,
        // and curl (OpenSSL) then refuses it even as --cacert; a CN holds at most 64 characters.
        ...(config.tls.issuer === "self-signed" && host.length <= 64 ? { "cert-manager.io/common-name": host } : {}),
      },
      secretName: `${host.split(".")[0]}-tls`,
    }),
  };
}

/**
 * Installs the ingress controller and cert-manager with its ClusterIssuer so that they match
 * `ingressConventions`, and returns the layer (undefined when ingress is off).
 */
export function createIngress(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  monitoring: MonitoringLayer | undefined,
  opts: pulumi.ComponentResourceOptions,
): IngressLayer | undefined {
  const routing = ingressRouting(config);
  const { addons, tls } = config;
  let layer: IngressLayer | undefined;
  if (routing) {
    const controller = new IngressNginx(
      `${name}-ingress-nginx`,
      {
        provider: cluster.provider,
        className: ingressConventions.className,
        namespace: ingressConventions.namespace,
        replicas: addons.ingress.replicas,
        serviceType: addons.ingress.serviceType,
        ...(monitoring ? { monitoring } : {}),
      },
      opts,
    );
    // The release waits for its post-install hook, which patches the admission webhook's caBundle.
    layer = { ...routing, ready: controller.release };
  }
  if (addons.certManager.enabled) {
    new CertManager(
      `${name}-cert-manager`,
      {
        provider: cluster.provider,
        clusterIssuerName: ingressConventions.clusterIssuer(tls.issuer),
        issuer: tls.issuer,
        ...(tls.acmeEmail ? { acmeEmail: tls.acmeEmail } : {}),
        ingressClassName: ingressConventions.className,
      },
      opts,
    );
  }
  return layer;
}
