import { beforeAll, describe, expect, it } from "vitest";
import { acmeIssuerManifest, certManagerGatewayValues, certManagerValues } from "../components/ingress/cert-manager";
import { ingressNginxValues } from "../components/ingress/ingress-nginx";
import { charts } from "../components/versions";
import type { SynthResult } from "../scripts/lib/synthesize";
import { ingressConventions } from "../stacks/ingress";
import { unknownValueKeys } from "./support/chart-keys";
import { ofType, synthStack } from "./support/synth";
import { synthWithIngressNginx } from "./support/variant";

const releaseOf = (result: SynthResult, chart: string) => ofType(result, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === chart)!;
/** The ClusterIssuer that signs the hosts' certificates (a private CA adds its root issuer beside it). */
const issuerOf = (result: SynthResult) => ofType(result, "kubernetes:cert-manager.io/v1:ClusterIssuer").find((r) => !(r.inputs.metadata as { name: string }).name.endsWith("-root"))!;
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
  // dev and prod on ingress-nginx, which stays a supported choice; local is on it as committed.
  for (const stack of ["dev", "prod"]) stacks[stack] = await synthWithIngressNginx(stack);
  stacks.local = await synthStack("local");
  stacks.gatewayProd = await synthStack("prod");
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

  it("makes an NLB on EKS (not a Classic ELB with its 60 s idle timeout), and nothing AWS-specific elsewhere", () => {
    const service = (releaseOf(stacks.dev!, "ingress-nginx").inputs.values as { controller: { service: { annotations?: Record<string, string> } } }).controller.service;
    expect(service.annotations).toEqual({ "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" });
    expect((releaseOf(stacks.local!, "ingress-nginx").inputs.values as NginxValues).controller.service).toEqual({ type: "LoadBalancer" });
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

  it("behind the Gateway, watches Gateways and starts after the Gateway API CRDs", () => {
    const release = releaseOf(stacks.gatewayProd!, "cert-manager");
    expect(release.inputs.values).toEqual(certManagerGatewayValues);
    expect(certManagerGatewayValues.config).toMatchObject({ kind: "ControllerConfiguration", enableGatewayAPI: true });
    expect(unknownValueKeys(charts.certManager, release.inputs.values as Record<string, unknown>)).toEqual([]);
    const crds = ofType(stacks.gatewayProd!, "kubernetes:helm.sh/v3:Release").find((r) => String(r.inputs.chart).endsWith("/gateway-crds-helm"))!;
    expect(release.dependsOn).toContain(crds.urn);
  });

  it("answers HTTP-01 through the Gateway's plain-HTTP listener in prod", () => {
    expect(issuerOf(stacks.gatewayProd!).inputs).toMatchObject({
      spec: { acme: { solvers: [{ http01: { gatewayHTTPRoute: { parentRefs: [{ kind: "Gateway", name: "llm-platform", namespace: "envoy-gateway-system", sectionName: "http" }] } } }] } },
    });
  });

  it("creates the ClusterIssuer the ingress layer names; Let's Encrypt's after the cert-manager release only", () => {
    for (const result of Object.values(stacks)) {
      const name = (issuerOf(result).inputs.metadata as { name: string }).name;
      const named = ofType(result, "kubernetes:networking.k8s.io/v1:Ingress").map((r) => (r.inputs.metadata as { annotations: Record<string, string> }).annotations["cert-manager.io/cluster-issuer"]);
      for (const issuer of named) expect(issuer).toBe(name);
    }
    expect(issuerOf(stacks.prod!).dependsOn).toEqual([releaseOf(stacks.prod!, "cert-manager").urn]);
    expect(issuerOf(stacks.dev!).inputs).toMatchObject({ metadata: { name: "llm-platform-private-ca" }, spec: { ca: { secretName: "llm-platform-private-ca" } } });
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
    const staging = acmeIssuerManifest({ clusterIssuerName: "x", issuer: "letsencrypt-staging", acmeEmail: "a@b.io", http01: { ingressClassName: "nginx" } });
    expect(staging).toMatchObject({ spec: { acme: { server: "https://acme-staging-v02.api.letsencrypt.org/directory" } } });
  });
});
