import { beforeAll, describe, expect, it } from "vitest";
import { privateCaManifests } from "../components/ingress/private-ca";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { assertMatchesCrd, crdSchema } from "./support/crd-schema";
import { ofType, synthStack } from "./support/synth";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// cert-manager v1.21.1's CRDs, as its chart installs them (scripts/crd-fixture.ts).
const certManagerKinds: Record<string, ReturnType<typeof crdSchema>> = {
  Certificate: crdSchema("certificate-v1.schema.json"),
  ClusterIssuer: crdSchema("clusterissuer-v1.schema.json"),
};

const stacks: Record<string, SynthResult> = {};
beforeAll(async () => {
  for (const stack of ["dev", "local", "prod"]) stacks[stack] = await synthStack(stack);
});

const named = (result: SynthResult, type: string, name: string): SynthResource =>
  ofType(result, type).find((r) => (r.inputs.metadata as Obj).name === name)!;
const issuer = (result: SynthResult, name: string) => named(result, "kubernetes:cert-manager.io/v1:ClusterIssuer", name);
const certificate = (result: SynthResult, name: string) => named(result, "kubernetes:cert-manager.io/v1:Certificate", name);
const release = (result: SynthResult) => ofType(result, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "cert-manager")!;

describe("the private CA (tls.issuer: private-ca, the default)", () => {
  it("is a chain: a self-signed root issuer, the root Certificate in cert-manager's namespace, and the CA issuer hosts use", () => {
    for (const stack of ["dev", "local"]) {
      const result = stacks[stack]!;
      const root = issuer(result, "llm-platform-private-ca-root");
      const rootCertificate = certificate(result, "llm-platform-private-ca");
      const caIssuer = issuer(result, "llm-platform-private-ca");
      expect(root.inputs.spec).toEqual({ selfSigned: {} });
      expect(rootCertificate.inputs).toMatchObject({
        metadata: { namespace: (release(result).inputs as Obj).namespace, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
        spec: { isCA: true, secretName: "llm-platform-private-ca", issuerRef: { kind: "ClusterIssuer", name: "llm-platform-private-ca-root" } },
      });
      expect((rootCertificate.inputs.spec as Obj).commonName).toBe(`llm-platform ${stack} CA`);
      // A CA ClusterIssuer reads its Secret from cert-manager's own namespace, where the root's Secret is.
      expect(caIssuer.inputs.spec).toEqual({ ca: { secretName: (rootCertificate.inputs.spec as Obj).secretName } });
      // Each step waits for the one before: webhook (release) -> root issuer -> root -> CA issuer.
      expect(root.dependsOn).toEqual([release(result).urn]);
      expect(rootCertificate.dependsOn).toEqual([root.urn]);
      expect(caIssuer.dependsOn).toEqual([rootCertificate.urn]);
      for (const object of [root, rootCertificate, caIssuer]) {
        const { apiVersion, kind, metadata, spec } = object.inputs as Obj;
        assertMatchesCrd(certManagerKinds[kind]!, { apiVersion, kind, metadata, spec });
      }
    }
  });

  it("exports the root certificate as caCertificate, read back from the root's Secret once it is Ready, and not as a secret", () => {
    const result = stacks.dev!;
    // A read, not a resource of the stack: `pulumi destroy` leaves the Secret to cert-manager (and its namespace).
    expect(ofType(result, "kubernetes:core/v1:Secret").filter((r) => r.name.endsWith("-ca-root-secret"))).toEqual([]);
    const read = result.reads.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("-ca-root-secret"))!;
    expect(read.id).toBe("cert-manager/llm-platform-private-ca");
    expect(read.dependsOn).toContain(certificate(result, "llm-platform-private-ca").urn);
    const pem = result.outputs.caCertificate as string;
    // The mocks answer the read with a PEM naming the id read: cert-manager's namespace and the root's Secret.
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----\nmock-ca-for-cert-manager\/llm-platform-private-ca\n/);
    expect(stacks.local!.outputs.caCertificate).toMatch(/BEGIN CERTIFICATE/);
  });

  it("signs every host's certificate with the CA issuer, on the Gateway (dev) and on ingress-nginx (local)", () => {
    const gateway = ofType(stacks.dev!, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0]!;
    expect((gateway.inputs.metadata as Obj).annotations["cert-manager.io/cluster-issuer"]).toBe("llm-platform-private-ca");
    const ingresses = ofType(stacks.local!, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingresses.length).toBeGreaterThan(0);
    for (const ingress of ingresses) expect((ingress.inputs.metadata as Obj).annotations["cert-manager.io/cluster-issuer"]).toBe("llm-platform-private-ca");
  });

  it("is absent where Let's Encrypt issues (prod): no root, no caCertificate output", () => {
    expect(ofType(stacks.prod!, "kubernetes:cert-manager.io/v1:Certificate")).toEqual([]);
    expect(stacks.prod!.outputs).not.toHaveProperty("caCertificate");
  });

  it("keeps the root's key on renewal and lives long, so clients rarely have to trust a new root", () => {
    const { certificate: root } = privateCaManifests({ clusterIssuerName: "x", commonName: "x CA" });
    expect(root.spec.privateKey.rotationPolicy).toBe("Never");
    expect(Number.parseInt(root.spec.duration, 10)).toBeGreaterThanOrEqual(5 * 365 * 24);
  });
});
