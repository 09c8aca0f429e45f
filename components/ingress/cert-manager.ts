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
  /** IngressClass that serves the ACME HTTP-01 challenges. */
  readonly ingressClassName: string;
}

const acmeServers = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

/** The ClusterIssuer manifest; pure. */
export function clusterIssuerManifest(args: Omit<CertManagerArgs, "provider" | "namespace">): Record<string, unknown> {
  const spec =
    args.issuer === "self-signed"
      ? { selfSigned: {} }
      : {
          acme: {
            server: acmeServers[args.issuer],
            email: args.acmeEmail,
            privateKeySecretRef: { name: `${args.clusterIssuerName}-account-key` },
            solvers: [{ http01: { ingress: { ingressClassName: args.ingressClassName } } }],
          },
        };
  return { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: args.clusterIssuerName }, spec };
}

/** Chart values; the chart's values schema is strict, so every key here must exist upstream. */
export const certManagerValues = { crds: { enabled: true, keep: true } } as const;

/** cert-manager and the stack's ClusterIssuer: Let's Encrypt over HTTP-01, or self-signed for private domains. */
export class CertManager extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;
  readonly clusterIssuer: k8s.apiextensions.CustomResource;

  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:CertManager", name, {}, opts);
    ({ release: this.release } = chartReleaseInNamespace(
      name,
      charts.certManager,
      { namespace: args.namespace ?? "cert-manager", values: certManagerValues },
      { parent: this, provider: args.provider },
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
