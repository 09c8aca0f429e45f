import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateCertificateAuthorityArgs {
  readonly provider: k8s.Provider;
  /** cert-manager's namespace: a ClusterIssuer reads its CA Secret from there (the cluster resource namespace). */
  readonly namespace: pulumi.Input<string>;
  /** Name of the ClusterIssuer that signs every certificate of the stack. */
  readonly clusterIssuerName: string;
  /** The CA certificate's common name, which clients show when they name the issuer. */
  readonly commonName: string;
  /** What the CA's objects need first: the cert-manager release (its CRDs and webhook). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
  /** @default 87600h (10 years): the root that clients are asked to trust should rarely change. */
  readonly duration?: string;
}

/** The CA's manifests; pure, so tests and policies can read them. */
export function privateCaManifests(args: Pick<PrivateCertificateAuthorityArgs, "clusterIssuerName" | "commonName" | "duration">) {
  const rootIssuerName = `${args.clusterIssuerName}-root`;
  const secretName = args.clusterIssuerName;
  return {
    secretName,
    rootIssuer: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: rootIssuerName }, spec: { selfSigned: {} } },
    certificate: {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: {
        name: args.clusterIssuerName,
        // The provider waits until cert-manager has written the Secret, so the CA can be read back.
        annotations: { "pulumi.com/waitFor": "condition=Ready" },
      },
      spec: {
        isCA: true,
        commonName: args.commonName,
        subject: { organizations: ["llm-platform"] },
        secretName,
        duration: args.duration ?? "87600h",
        // Renewing the root with a new key would make every client re-trust it; a renewal keeps the key.
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" },
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: rootIssuerName },
      },
    },
    caIssuer: { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: args.clusterIssuerName }, spec: { ca: { secretName } } },
  } as const;
}

/**
 * A private CA chain for domains Let's Encrypt cannot reach: a self-signed root (cert-manager keeps its
 * key in a Secret) and a CA ClusterIssuer that signs every host's certificate. Clients trust the root,
 * `caCertificate`, once, instead of turning verification off.
 */
export class PrivateCertificateAuthority extends pulumi.ComponentResource {
  readonly clusterIssuer: k8s.apiextensions.CustomResource;
  /** The root CA certificate (PEM). Public by nature, so not a secret. */
  readonly caCertificate: pulumi.Output<string>;

  constructor(name: string, args: PrivateCertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:PrivateCertificateAuthority", name, {}, opts);
    const manifests = privateCaManifests(args);
    const options = { parent: this, provider: args.provider };
    const rootIssuer = new k8s.apiextensions.CustomResource(`${name}-root-issuer`, manifests.rootIssuer, { ...options, dependsOn: args.dependsOn });
    const certificate = new k8s.apiextensions.CustomResource(
      `${name}-root`,
      { ...manifests.certificate, metadata: { ...manifests.certificate.metadata, namespace: args.namespace } },
      { ...options, dependsOn: [rootIssuer] },
    );
    this.clusterIssuer = new k8s.apiextensions.CustomResource(`${name}-issuer`, manifests.caIssuer, { ...options, dependsOn: [certificate] });
    // Read after the Certificate is Ready. In a preview of a new stack the engine skips the read (its
    // dependency does not exist yet) and the output is unknown.
    const secret = k8s.core.v1.Secret.get(`${name}-root-secret`, pulumi.interpolate`${args.namespace}/${manifests.secretName}`, {
      ...options,
      dependsOn: [certificate],
    });
    this.caCertificate = pulumi.unsecret(
      secret.data.apply((data) => {
        const pem = data?.["ca.crt"] ?? data?.["tls.crt"];
        return pem ? Buffer.from(pem, "base64").toString("utf8") : "";
      }),
    );
    this.registerOutputs({ clusterIssuer: args.clusterIssuerName, caCertificate: this.caCertificate });
  }
}
