import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartReleaseInNamespace } from "../addons/chart-release";
import { charts } from "../versions";
import { PrivateCertificateAuthority } from "./private-ca";

export type IssuerKind = "letsencrypt" | "letsencrypt-staging" | "private-ca";

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
  /** The private CA's common name (issuer "private-ca"). @default "llm-platform private CA" */
  readonly caCommonName?: string;
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

/** The Let's Encrypt ClusterIssuer manifest; pure. */
export function acmeIssuerManifest(args: Pick<CertManagerArgs, "clusterIssuerName" | "acmeEmail" | "http01"> & { readonly issuer: keyof typeof acmeServers }) {
  const spec = {
    acme: {
      server: acmeServers[args.issuer],
      email: args.acmeEmail,
      privateKeySecretRef: { name: `${args.clusterIssuerName}-account-key` },
      solvers: [{ http01: http01Solver(args.http01) }],
    },
  };
  return { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: args.clusterIssuerName }, spec } as const;
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
 * the Gateway), or a private CA for private domains.
 */
export class CertManager extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly clusterIssuer: k8s.apiextensions.CustomResource;
  /** The private CA's certificate (PEM), for clients to trust; only with issuer "private-ca". */
  readonly caCertificate?: pulumi.Output<string>;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:CertManager", name, {}, opts);
    ({ release: this.release } = chartReleaseInNamespace(
      name,
      charts.certManager,
      { namespace: args.namespace ?? "cert-manager", values: args.gatewayApiCrds ? certManagerGatewayValues : certManagerValues },
      // Its Gateway API support only starts if the Gateway API CRDs exist when the controller starts.
      { parent: this, provider: args.provider, dependsOn: args.gatewayApiCrds ? [args.gatewayApiCrds] : [] },
    ));
    // Issuers need the CRDs and the admission webhook, which the (atomic) release waits for.
    if (args.issuer === "private-ca") {
      const ca = new PrivateCertificateAuthority(
        `${name}-ca`,
        {
          provider: args.provider,
          namespace: args.namespace ?? "cert-manager",
          clusterIssuerName: args.clusterIssuerName,
          commonName: args.caCommonName ?? "llm-platform private CA",
          dependsOn: [this.release],
        },
        { parent: this },
      );
      this.clusterIssuer = ca.clusterIssuer;
      this.caCertificate = ca.caCertificate;
    } else {
      this.clusterIssuer = new k8s.apiextensions.CustomResource(`${name}-issuer`, acmeIssuerManifest({ ...args, issuer: args.issuer }), {
        parent: this,
        provider: args.provider,
        dependsOn: [this.release],
      });
    }
    this.registerOutputs({ status: this.release.status, clusterIssuer: args.clusterIssuerName, caCertificate: this.caCertificate });
  }
}
