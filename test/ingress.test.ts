import { beforeAll, describe, expect, it } from "vitest";
import { certManagerValues, clusterIssuerManifest } from "../components/ingress/cert-manager";
import { ingressNginxValues } from "../components/ingress/ingress-nginx";
import { charts } from "../components/versions";
import type { SynthResult } from "../scripts/lib/synthesize";
import { ingressConventions } from "../stacks/ingress";
import { unknownValueKeys } from "./support/chart-keys";
import { ofType, synthStack } from "./support/synth";

const releaseOf = (result: SynthResult, chart: string) => ofType(result, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === chart)!;
const issuerOf = (result: SynthResult) => ofType(result, "kubernetes:cert-manager.io/v1:ClusterIssuer")[0]!;
type NginxValues = {
  controller: {
    replicaCount: number;
    allowSnippetAnnotations: boolean;
    ingressClassResource: { name: string; default: boolean };
    service: { type: string };
    metrics: { enabled: boolean; serviceMonitor: { enabled: boolean } };
  };
};

const stacks: Record<string, SynthResult> = {};
beforeAll(async () => {
  for (const stack of ["dev", "prod", "local"]) stacks[stack] = await synthStack(stack);
});

describe("ingress-nginx", () => {
  it.each(["dev", "local"])("%s: passes only values keys the pinned chart has", (stack) => {
    expect(unknownValueKeys(charts.ingressNginx, releaseOf(stacks[stack]!, "ingress-nginx").inputs.values as Record<string, unknown>)).toEqual([]);
  });

  it("is the default IngressClass the ingress layer names, with snippet annotations off, in the layer's namespace", () => {
    const release = releaseOf(stacks.dev!, "ingress-nginx");
    const values = release.inputs.values as NginxValues;
    expect(values.controller.ingressClassResource).toMatchObject({ name: ingressConventions.className, default: true });
    expect(values.controller.allowSnippetAnnotations).toBe(false);
    expect(release.inputs.namespace).toBe(ingressConventions.namespace);
    expect(release.inputs.version).toBe("4.15.1");
  });

  it("takes replicas and service type from config", () => {
    expect((releaseOf(stacks.prod!, "ingress-nginx").inputs.values as NginxValues).controller).toMatchObject({ replicaCount: 3, service: { type: "LoadBalancer" } });
    // local: k3s's ServiceLB binds the LoadBalancer Service to the node's 80 and 443, which k3d publishes.
    expect((releaseOf(stacks.local!, "ingress-nginx").inputs.values as NginxValues).controller).toMatchObject({ replicaCount: 1, service: { type: "LoadBalancer" } });
    expect(ingressNginxValues({ className: "nginx", serviceType: "NodePort" }).controller).toMatchObject({ service: { type: "NodePort" } });
  });

  it("is scraped when monitoring is on, waiting for the ServiceMonitor CRD and for no other add-on", () => {
    const result = stacks.dev!;
    const release = releaseOf(result, "ingress-nginx");
    expect((release.inputs.values as NginxValues).controller.metrics).toEqual({ enabled: true, serviceMonitor: { enabled: true } });
    const crds = releaseOf(result, "prometheus-operator-crds");
    const outside = release.dependsOn.filter((urn) => !urn.includes("llm-platform:ingress:IngressNginx$"));
    expect(outside).toEqual([crds.urn]);
  });
});

describe("cert-manager", () => {
  it("installs its CRDs and passes only keys its strict values schema allows", () => {
    const release = releaseOf(stacks.dev!, "cert-manager");
    expect(release.inputs.values).toEqual(certManagerValues);
    expect(certManagerValues.crds.enabled).toBe(true);
    expect(unknownValueKeys(charts.certManager, release.inputs.values as Record<string, unknown>)).toEqual([]);
  });

  it("creates the ClusterIssuer the ingress layer names, after the cert-manager release only", () => {
    for (const result of Object.values(stacks)) {
      const issuer = issuerOf(result);
      expect(issuer.dependsOn).toEqual([releaseOf(result, "cert-manager").urn]);
    }
    expect(issuerOf(stacks.dev!).inputs).toMatchObject({ metadata: { name: "llm-platform-self-signed" }, spec: { selfSigned: {} } });
  });

  it("issues from Let's Encrypt over HTTP-01 through the nginx class in prod", () => {
    expect(issuerOf(stacks.prod!).inputs).toMatchObject({
      metadata: { name: ingressConventions.clusterIssuer("letsencrypt") },
      spec: {
        acme: {
          server: "https://acme-v02.api.letsencrypt.org/directory",
          email: "platform-team@example.com",
          solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
        },
      },
    });
  });

  it("uses the staging ACME endpoint for letsencrypt-staging", () => {
    const staging = clusterIssuerManifest({ clusterIssuerName: "x", issuer: "letsencrypt-staging", acmeEmail: "a@b.io", ingressClassName: "nginx" });
    expect(staging).toMatchObject({ spec: { acme: { server: "https://acme-staging-v02.api.letsencrypt.org/directory" } } });
  });
});
