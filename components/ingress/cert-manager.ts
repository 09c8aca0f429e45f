import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReleaseInNamespace } from "../addons/chart-release";
import { charts } from "../versions";

export type IssuerKind = "letsencrypt" | "letsencrypt-staging" | "self-signed";

export interface CertManagerArgs {
  readonly provider: k8s.Provider;
  /** @default "cert-manager" */
  readonly namespace?: string;
  /** Name of the ClusterIssuer every Ingress asks for. */
  readonly clusterIssuerName: string;
  readonly issuer: IssuerKind;
  /** Required for the Let's Encrypt issuers (config validation checks it). */
  readonly acmeEmail?: string;
  /** Where ACME HTTP-01 challenges are answered: an IngressClass, or a Gateway's plain-HTTP listener. */
  readonly http01: Http01Route;
  /**
   * With the Gateway API front door: the release installing its CRDs. cert-manager then watches
   * Gateways (its gateway-shim issues each HTTPS listener's certificate), and must start after the CRDs.
   */
  readonly gatewayApiCrds?: pulumi.Resource;
}

export type Http01Route =
  | { readonly ingressClassName: string }
  | { readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string } };

const acmeServers = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

function http01Solver(route: Http01Route): Record<string, unknown> {
  if ("ingressClassName" in route) return { ingress: { ingressClassName: route.ingressClassName } };
  return { gatewayHTTPRoute: { parentRefs: [{ ...route.gateway, kind: "Gateway" }] } };
}

/** The ClusterIssuer manifest; pure. */
export function clusterIssuerManifest(args: Omit<CertManagerArgs, "provider" | "namespace" | "gatewayApiCrds">): Record<string, unknown> {
  const spec =
    args.issuer === "self-signed"
      ? { selfSigned: {} }
      : {
          acme: {
            server: acmeServers[args.issuer],
            email: args.acmeEmail,
            privateKeySecretRef: { name: `${args.clusterIssuerName}-account-key` },
            solvers: [{ http01: http01Solver(args.http01) }],
          },
        };
  return { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: args.clusterIssuerName }, spec };
}

/** Chart values; the chart's values schema is strict, so every key here must exist upstream. */
export const certManagerValues = { crds: { enabled: true, keep: true } } as const;

/**
 * With the Gateway API front door, the controller also watches Gateways and HTTPRoutes. `config` is the
 * controller's ControllerConfiguration file (the chart renders it whole and passes --config).
 */
export const certManagerGatewayValues = {
  ...certManagerValues,
  config: { apiVersion: "controller.config.cert-manager.io/v1alpha1", kind: "ControllerConfiguration", enableGatewayAPI: true },
} as const;

/**
 * cert-manager and the stack's ClusterIssuer: Let's Encrypt over HTTP-01 (through the IngressClass or
 * the Gateway), or self-signed for private domains.
 */
export class CertManager extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly clusterIssuer: k8s.apiextensions.CustomResource;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:CertManager", name, {}, opts);
    ({ release: this.release } = chartReleaseInNamespace(
      name,
      charts.certManager,
      { namespace: args.namespace ?? "cert-manager", values: args.gatewayApiCrds ? certManagerGatewayValues : certManagerValues },
      // Its Gateway API support only starts if the Gateway API CRDs exist when the controller starts.
      { parent: this, provider: args.provider, dependsOn: args.gatewayApiCrds ? [args.gatewayApiCrds] : [] },
    ));
    const manifest = clusterIssuerManifest(args);
    // Needs the CRD and the admission webhook, which the (atomic) release waits for.
    this.clusterIssuer = new k8s.apiextensions.CustomResource(
      `${name}-issuer`,
      { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: manifest.metadata as object, spec: manifest.spec as object },
      { parent: this, provider: args.provider, dependsOn: [this.release] },
    );
    this.registerOutputs({ status: this.release.status, clusterIssuer: args.clusterIssuerName });
  }
}
