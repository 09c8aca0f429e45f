import type { IngressLayer } from "../components/ingress/types";
import type { LoadedConfig } from "./config";

/** Names the ingress implementation fixes; NetworkPolicies and Ingresses elsewhere rely on them. */
export const ingressConventions = {
  className: "nginx",
  namespace: "ingress-nginx",
  podLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
  /** The ClusterIssuer every Ingress's certificate comes from. */
  clusterIssuer: (issuer: LoadedConfig["tls"]["issuer"]) => `llm-platform-${issuer}`,
} as const;

/** The ingress layer add-ons expose endpoints through, or undefined when ingress is off. Pure. */
export function ingressLayer(config: LoadedConfig): IngressLayer | undefined {
  if (!config.addons.ingress.enabled) return undefined;
  const issuer = ingressConventions.clusterIssuer(config.tls.issuer);
  return {
    className: ingressConventions.className,
    controllerNamespace: ingressConventions.namespace,
    controllerPodLabels: ingressConventions.podLabels,
    host: (service) => `${service}.${config.domain}`,
    tls: (host) => ({
      annotations: { "cert-manager.io/cluster-issuer": issuer },
      secretName: `${host.split(".")[0]}-tls`,
    }),
  };
}
