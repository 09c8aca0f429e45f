import { Gateway, GatewayClass, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { envoyGatewayExtensionConfig } from "../components/ingress/ai-gateway";
import { consumerHeader, modelHeader, overBudgetBody, tokenCostMetadata } from "../components/ingress/ai-gateway-manifests";
import { envoyGatewayValues, gatewayCrdsValues, rateLimitPodLabels } from "../components/ingress/envoy-gateway";
import { envoyProxyManifest, httpRouteManifest, nlbIdleTimeoutSeconds } from "../components/ingress/gateway-manifests";
import { envoyMetrics, knownMetricNames } from "../components/monitoring/metric-names";
import { llmRouteTimeoutSeconds } from "../components/serving/llm-serving";
import { longestRequestSeconds } from "../components/serving/values";
import { charts, images } from "../components/versions";
import { manifestsOf } from "../scripts/lib/manifests";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { gatewayConventions } from "../stacks/ingress";
import { unknownValueKeys } from "./support/chart-keys";
import { assertMatchesCrd, crdSchema } from "./support/crd-schema";
import { validateManifest } from "./support/kube-models";
import { parsePromql } from "./support/promql";
import { ofType, synthStack } from "./support/synth";
import { synthVariant } from "./support/variant";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Whether `from` waits for `to` through a chain of dependencies. */
function dependsOnTransitively(result: SynthResult, from: string, to: string): boolean {
  const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const urn = queue.pop()!;
    if (urn === to) return true;
    if (seen.has(urn)) continue;
    seen.add(urn);
    queue.push(...(byUrn.get(urn)?.dependsOn ?? []));
  }
  return false;
}

// Envoy Gateway's own kinds, validated against the CRD schemas of the pinned chart (scripts/crd-fixture.ts).
const envoyGatewayKinds: Record<string, ReturnType<typeof crdSchema>> = {
  EnvoyProxy: crdSchema("envoyproxy-v1alpha1.schema.json"),
  SecurityPolicy: crdSchema("securitypolicy-v1alpha1.schema.json"),
  BackendTrafficPolicy: crdSchema("backendtrafficpolicy-v1alpha1.schema.json"),
  Backend: crdSchema("backend-v1alpha1.schema.json"),
  ClientTrafficPolicy: crdSchema("clienttrafficpolicy-v1alpha1.schema.json"),
  // Envoy AI Gateway v1.1.0 (ai-gateway-crds-helm), storage version v1beta1.
  AIGatewayRoute: crdSchema("aigatewayroute-v1beta1.schema.json"),
  AIServiceBackend: crdSchema("aiservicebackend-v1beta1.schema.json"),
  BackendSecurityPolicy: crdSchema("backendsecuritypolicy-v1beta1.schema.json"),
};
// With this repo's node10 module resolution tsc cannot see the models' base class (exports-only package).
const gatewayApiKinds: Record<string, new (object: never) => object> = { Gateway, GatewayClass, HTTPRoute };

/** Throws when a Gateway API or Envoy Gateway object does not match its pinned upstream schema. */
function validateGatewayObject(object: Values): void {
  const Model = gatewayApiKinds[object.kind];
  if (object.apiVersion === "gateway.networking.k8s.io/v1" && Model) {
    (new Model(object as never) as { validate(): void }).validate();
    return;
  }
  const validate = envoyGatewayKinds[object.kind];
  if (!validate) throw new Error(`no schema for ${object.apiVersion}/${object.kind}`);
  assertMatchesCrd(validate, object);
}

const isGatewayKind = (resource: SynthResource) => /^kubernetes:(gateway\.networking\.k8s\.io|gateway\.envoyproxy\.io|aigateway\.envoyproxy\.io)\//.test(resource.type);
const releases = (result: SynthResult) => ofType(result, "kubernetes:helm.sh/v3:Release");
const releaseOf = (result: SynthResult, chart: string) => releases(result).find((r) => String(r.inputs.chart).endsWith(`/${chart}`))!;
const routes = (result: SynthResult) => ofType(result, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
const routeFor = (result: SynthResult, host: string) => routes(result).find((r) => ((r.inputs.spec as Values).hostnames ?? []).includes(host));

const gatewayStacks = ["dev", "prod", "gke-dev", "k3s-lab"] as const;
const stacks: Record<string, SynthResult> = {};
beforeAll(async () => {
  for (const stack of [...gatewayStacks, "local"]) stacks[stack] = await synthStack(stack);
});

describe("the schema checks", () => {
  it("reject a malformed Gateway API object and a misspelled EnvoyProxy field", () => {
    const route = httpRouteManifest({ name: "r", namespace: "n", gateway: { name: "g", namespace: "n", sectionName: "https-x" }, host: "x.example.com", service: "s", port: 80 }) as Values;
    expect(() => validateGatewayObject(route)).not.toThrow();
    expect(() => validateGatewayObject({ ...route, spec: { ...route.spec, hostnames: ["Not A Host"] } })).toThrow();
    const proxy = envoyProxyManifest({ name: "p", namespace: "n", flavour: "eks", replicas: 2, serviceType: "LoadBalancer" }) as Values;
    expect(() => validateGatewayObject(proxy)).not.toThrow();
    expect(() => validateGatewayObject({ ...proxy, spec: { provider: { type: "Kubernetes", kubernetes: { envoyServic: {} } } } })).toThrow(/additional/);
  });
});

describe.each(gatewayStacks)("the Gateway front door in %s", (stack) => {
  let result: SynthResult;
  beforeAll(() => {
    result = stacks[stack]!;
  });

  it("is the committed front door: Envoy Gateway and no ingress-nginx, no Ingress objects", () => {
    expect(releases(result).map((r) => String(r.inputs.chart))).not.toContain("ingress-nginx");
    expect(ofType(result, "kubernetes:networking.k8s.io/v1:Ingress")).toEqual([]);
    expect(releaseOf(result, "gateway-helm").inputs.version).toBe(charts.envoyGateway.version);
  });

  it("creates only Gateway objects that validate against the pinned Gateway API and Envoy Gateway schemas", () => {
    const objects = result.resources.filter(isGatewayKind);
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const object of objects) expect(() => validateGatewayObject(object.inputs as Values), object.name).not.toThrow();
  });

  it("installs the CRDs as their own release and the controller with its CRD subchart off, after them", () => {
    const crds = releaseOf(result, "gateway-crds-helm");
    const controller = releaseOf(result, "gateway-helm");
    expect(crds.inputs.values).toEqual(gatewayCrdsValues);
    // With the LLM API, Envoy Gateway calls the AI gateway's controller as its extension server (no
    // committed stack lists consumers with budgets, so no global rate limit).
    expect(controller.inputs.values).toEqual({ ...envoyGatewayValues, config: { envoyGateway: envoyGatewayExtensionConfig("envoy-ai-gateway-system") } });
    expect(unknownValueKeys(charts.gatewayCrds, crds.inputs.values as Values)).toEqual([]);
    expect(unknownValueKeys(charts.envoyGateway, controller.inputs.values as Values)).toEqual([]);
    expect(controller.dependsOn).toContain(crds.urn);
    // Routes and policies need the CRDs, never the controller's workloads; only the Gateway waits for
    // the controller, whose status (Programmed, with the load balancer's address) it waits for.
    const gateway = ofType(result, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0]!;
    for (const object of result.resources.filter(isGatewayKind)) {
      expect(object.dependsOn, object.name).toContain(crds.urn);
      if (object !== gateway) expect(object.dependsOn, object.name).not.toContain(controller.urn);
    }
    expect(gateway.dependsOn).toContain(controller.urn);
  });

  it("waits until the Gateway is Programmed, so gatewayAddress holds the load balancer's address after the first up", () => {
    const gateway = ofType(result, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0]!;
    expect((gateway.inputs.metadata as Values).annotations["pulumi.com/waitFor"]).toBe("condition=Programmed");
    // The address is the Gateway's status as the provider returns it once the wait is over.
    expect(result.outputs).toHaveProperty("gatewayAddress");
  });

  it("serves Argo CD, Argo Workflows, Grafana and Kibana each on its own HTTPS listener with a certificate", () => {
    const gateway = ofType(result, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0]!.inputs as Values;
    expect(gateway.metadata.annotations["cert-manager.io/cluster-issuer"]).toMatch(/^llm-platform-/);
    const domain = String(result.outputs.argocdUrl).replace("https://argocd.", "");
    for (const service of ["argocd", "workflows", "grafana", "kibana"]) {
      const host = `${service}.${domain}`;
      const listener = (gateway.spec.listeners as Values[]).find((l) => l.hostname === host)!;
      expect(listener, host).toMatchObject({ protocol: "HTTPS", port: 443, tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: `${service}-tls` }] } });
      const route = routeFor(result, host)!.inputs as Values;
      expect(route.spec.parentRefs).toEqual([{ name: gatewayConventions.gatewayName, namespace: gatewayConventions.namespace, sectionName: listener.name }]);
    }
    expect(gateway.spec.listeners[0]).toMatchObject({ name: "http", protocol: "HTTP", port: 80 });
  });

  it("serves the models only through the LLM API: no host, listener or route of their own, which would take the models' shared key past the consumers' keys and budgets", () => {
    const gateway = ofType(result, "kubernetes:gateway.networking.k8s.io/v1:Gateway")[0]!.inputs as Values;
    const hosts = (gateway.spec.listeners as Values[]).map((l) => String(l.hostname ?? ""));
    expect(hosts.filter((host) => host.includes(".api."))).toEqual([]);
    expect(hosts.filter((host) => host.startsWith("api."))).toHaveLength(1);
    const servingRoutes = result.resources.filter((r) => isGatewayKind(r) && r.urn.includes("llm-platform:serving:LlmServing$"));
    expect(servingRoutes).toEqual([]);
    expect(result.outputs).not.toHaveProperty("llmApiUrls");
  });

  it("lets only the Envoy proxies (and Prometheus) reach the serving pods", () => {
    const serving = releases(result).find((r) => r.inputs.chart === "./charts/llm-serving")!;
    const policy = (serving.inputs.values as Values).networkPolicy;
    expect(policy.ingressControllerNamespaceSelector).toEqual({ matchLabels: { "kubernetes.io/metadata.name": gatewayConventions.namespace } });
    expect(policy.ingressControllerPodSelector).toEqual({ matchLabels: gatewayConventions.podLabels });
    expect((serving.inputs.values as Values).ingress).toEqual({ enabled: false });
  });

  it("reads availability from the Envoy proxies' cluster of each model's rule in the LLM API's route, never from ingress-nginx's metric, which does not exist behind Envoy", () => {
    const rules = JSON.stringify(ofType(result, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => r.inputs));
    expect(rules).toContain("llm:request_error_ratio");
    // Rule i of the AIGatewayRoute's HTTPRoute (named after it) serves model i.
    for (const [index, model] of (result.outputs.llmModels as string[]).entries()) {
      expect(rules).toContain(`${envoyMetrics.responses}{envoy_cluster_name=\\"httproute/llm-serving/llm-api/rule/${index}\\"`);
      expect(rules).toContain(`\\"model_name\\", \\"${model}\\"`);
    }
    // No model has a route of its own to read.
    expect(rules).not.toContain(`envoy_cluster_name=~\\"httproute/llm-serving/(?:`);
    expect(rules).toContain('envoy_response_code_class=\\"5\\"');
    expect(rules).not.toContain("nginx_ingress_controller_requests");
    // The proxies' stats are scraped where the rules look for them.
    const monitor = ofType(result, "kubernetes:monitoring.coreos.com/v1:PodMonitor").find((m) => (m.inputs.metadata as Values).namespace === gatewayConventions.namespace)!;
    expect((monitor.inputs.spec as Values).selector.matchLabels).toEqual(gatewayConventions.podLabels);
    // The proxies' stats, and the AI gateway's sidecar in each proxy pod (gen_ai usage metrics).
    expect((monitor.inputs.spec as Values).podMetricsEndpoints).toEqual([{ port: "metrics", path: "/stats/prometheus" }, { port: "aigw-admin", path: "/metrics" }]);
  });

  it("exports the Gateway's load balancer address", () => {
    expect(result.outputs).toHaveProperty("gatewayAddress");
  });
});

describe("a model behind the Gateway (dev, which scales to zero)", () => {
  let objects: Values[];
  beforeAll(() => {
    objects = manifestsOf(stacks.dev!.resources)
      .filter((manifest) => manifest.source.includes("llm-platform:serving:LlmServing"))
      .map((manifest) => manifest.object as Values);
  });
  const only = (kind: string) => {
    const found = objects.filter((object) => object.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!;
  };

  it("is reached through the LLM API's Backend, the Service's address, so requests with no replica are still tried and counted", () => {
    const service = only("Service");
    expect(objects.filter((object) => object.kind === "HTTPRoute")).toEqual([]);
    const backend = ofType(stacks.dev!, "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend").map((r) => r.inputs as Values).find((b) => b.metadata.name === "qwen-small")!;
    expect(backend.spec.endpoints).toEqual([{ fqdn: { hostname: `${service.metadata.name}.llm-serving.svc.cluster.local`, port: service.spec.ports[0].port } }]);
  });

  it("wakes from zero on its LLM API rule's responses and in-flight requests at the Envoy proxies, as Envoy Gateway names the rule's cluster", () => {
    const trigger = (only("ScaledObject").spec.triggers as Values[]).find((t) => t.name === "front-door-activation")!;
    // Rule 0 of the LLM API's route (dev serves one model).
    const cluster = 'envoy_cluster_name="httproute/llm-serving/llm-api/rule/0"';
    expect(trigger.metadata.query).toBe(`sum(rate(${envoyMetrics.responses}{${cluster}}[2m])) + sum(${envoyMetrics.active}{${cluster}})`);
    const parsed = parsePromql(trigger.metadata.query);
    expect(parsed.errors).toEqual([]);
    for (const name of parsed.metricNames) expect(knownMetricNames.has(name), name).toBe(true);
  });
});

describe("the one LLM API", () => {
  const objectsOf = (result: SynthResult, type: string) => ofType(result, `kubernetes:${type}`).map((r) => r.inputs as Values);
  let twoConsumers: SynthResult;
  beforeAll(async () => {
    twoConsumers = await synthVariant("prod", (config) => {
      config.serving = { consumers: [{ name: "team-a", tokensPerHour: 200000, requestsPerMinute: 60 }, { name: "team-b" }] };
    });
  });

  it.each(gatewayStacks)("%s: serves every model at one base URL, https://api.<domain>/v1, one route rule per model matched on its name", (stack) => {
    const result = stacks[stack]!;
    const domain = String(result.outputs.argocdUrl).replace("https://argocd.", "");
    expect(result.outputs.llmApiUrl).toBe(`https://api.${domain}/v1`);
    const gateway = objectsOf(result, "gateway.networking.k8s.io/v1:Gateway")[0]!;
    const listener = (gateway.spec.listeners as Values[]).find((l) => l.hostname === `api.${domain}`)!;
    expect(listener).toMatchObject({ protocol: "HTTPS", port: 443, tls: { mode: "Terminate" } });
    const [route] = objectsOf(result, "aigateway.envoyproxy.io/v1beta1:AIGatewayRoute");
    expect(route!.spec.parentRefs).toEqual([{ name: gatewayConventions.gatewayName, namespace: gatewayConventions.namespace, sectionName: listener.name }]);
    const models = result.outputs.llmModels as string[];
    expect(models.length).toBeGreaterThan(0);
    expect(route!.spec.rules.map((rule: Values) => [rule.matches, rule.backendRefs])).toEqual(
      models.map((model) => [[{ headers: [{ type: "Exact", name: modelHeader, value: model }] }], [{ name: model }]]),
    );
    // Each rule's backend is the model's Service, through an AIServiceBackend and an Envoy Gateway Backend.
    for (const model of models) {
      const aiBackend = objectsOf(result, "aigateway.envoyproxy.io/v1beta1:AIServiceBackend").find((b) => b.metadata.name === model)!;
      expect(aiBackend.spec).toEqual({ schema: { name: "OpenAI" }, backendRef: { group: "gateway.envoyproxy.io", kind: "Backend", name: model } });
      const backend = objectsOf(result, "gateway.envoyproxy.io/v1alpha1:Backend").find((b) => b.metadata.name === model)!;
      expect(backend.spec.endpoints).toEqual([{ fqdn: { hostname: `${model}.llm-serving.svc.cluster.local`, port: 8000 } }]);
    }
  });

  it("lets a stream run as long as the longest completion: each rule's timeout, not the AI gateway's 60 s or Envoy's 15 s", () => {
    for (const stack of gatewayStacks) {
      for (const rule of objectsOf(stacks[stack]!, "aigateway.envoyproxy.io/v1beta1:AIGatewayRoute")[0]!.spec.rules as Values[]) {
        expect(rule.timeouts).toEqual({ request: `${llmRouteTimeoutSeconds}s` });
      }
    }
    expect(llmRouteTimeoutSeconds).toBeGreaterThanOrEqual(longestRequestSeconds);
  });

  it("gives each consumer its own random key, secret end to end, checked at the Gateway; two consumers never share one", () => {
    const generators = ofType(twoConsumers, "random:index/randomPassword:RandomPassword").filter((r) => /-consumer-/.test(r.name));
    expect(generators.map((g) => g.name).sort()).toEqual(["llm-prod-llm-api-consumer-team-a", "llm-prod-llm-api-consumer-team-b"]);
    const secret = objectsOf(twoConsumers, "core/v1:Secret").find((s) => s.metadata.name === "llm-api-consumers")!;
    expect(secret.metadata.namespace).toBe(gatewayConventions.namespace);
    // The namespace is the Envoy Gateway release's: the Secret must not be created before it.
    const secretResource = ofType(twoConsumers, "kubernetes:core/v1:Secret").find((r) => r.name.endsWith("-consumer-keys"))!;
    const namespaceResource = ofType(twoConsumers, "kubernetes:core/v1:Namespace").find((r) => (r.inputs.metadata as Values).name === gatewayConventions.namespace)!;
    expect(dependsOnTransitively(twoConsumers, secretResource.urn, namespaceResource.urn)).toBe(true);
    expect(twoConsumers.outputs.llmApiKeys).toBe("[secret]");
    const policy = objectsOf(twoConsumers, "gateway.envoyproxy.io/v1alpha1:SecurityPolicy").find((p) => p.spec.apiKeyAuth)!;
    expect(policy.spec.apiKeyAuth).toEqual({
      credentialRefs: [{ kind: "Secret", name: "llm-api-consumers" }],
      extractFrom: [{ headers: ["authorization"] }],
      forwardClientIDHeader: consumerHeader,
      sanitize: true,
    });
    const listener = (objectsOf(twoConsumers, "gateway.networking.k8s.io/v1:Gateway")[0]!.spec.listeners as Values[]).find((l) => String(l.hostname).startsWith("api."))!;
    expect(policy.spec.targetRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayConventions.gatewayName, sectionName: listener.name }]);
    for (const object of twoConsumers.resources.filter(isGatewayKind)) expect(() => validateGatewayObject(object.inputs as Values), object.name).not.toThrow();
  });

  it("sends the models their own key, never a consumer's: the AI gateway's APIKey policy on every model backend", () => {
    const policy = objectsOf(twoConsumers, "aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy")[0]!;
    const models = twoConsumers.outputs.llmModels as string[];
    expect(policy.spec).toEqual({
      type: "APIKey",
      apiKey: { secretRef: { name: "llm-api-key" } },
      targetRefs: models.map((model) => ({ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: model })),
    });
    const modelKey = objectsOf(twoConsumers, "core/v1:Secret").find((s) => s.metadata.name === "llm-api-key")!;
    expect(modelKey.stringData).toBe("[secret]");
  });

  it("charges each consumer with budgets for its tokens and requests, in a global rate limit keyed by the forwarded consumer name", () => {
    const policy = objectsOf(twoConsumers, "gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy").find((p) => p.spec.rateLimit)!;
    const teamA = [{ headers: [{ name: consumerHeader, type: "Exact", value: "team-a" }] }];
    // team-b has no budget: no rule, so no limit.
    expect(policy.spec.rateLimit).toEqual({
      type: "Global",
      global: {
        rules: [
          // shared: one counter per consumer for the whole listener; without it each model's route rule counts apart.
          { clientSelectors: teamA, limit: { requests: 200000, unit: "Hour" }, cost: { request: { from: "Number", number: 0 }, response: { from: "Metadata", metadata: tokenCostMetadata } }, shared: true },
          { clientSelectors: teamA, limit: { requests: 60, unit: "Minute" }, shared: true },
        ],
      },
    });
    expect(policy.spec.targetRefs[0]).toMatchObject({ kind: "Gateway", sectionName: "https-api" });
    // The tokens charged are the ones the AI gateway writes for each response.
    const route = objectsOf(twoConsumers, "aigateway.envoyproxy.io/v1beta1:AIGatewayRoute")[0]!;
    expect(route.spec.llmRequestCosts).toEqual([{ metadataKey: tokenCostMetadata.key, type: "TotalToken" }]);
    // Over budget: 429 with a body in the OpenAI error shape, for the gateway's own 429s only.
    expect(policy.spec.responseOverride).toEqual([
      { match: { statusCodes: [{ type: "Value", value: 429 }] }, source: "Local", response: { contentType: "application/json", body: { type: "Inline", inline: overBudgetBody } } },
    ]);
    expect(JSON.parse(overBudgetBody).error.type).toBe("rate_limit_exceeded");
  });

  it("keeps the counters in the platform's own Redis (the official image, pinned), reachable only from the rate-limit service", () => {
    const controller = releaseOf(twoConsumers, "gateway-helm").inputs.values as Values;
    expect(controller.config.envoyGateway.rateLimit).toEqual({ backend: { type: "Redis", redis: { url: "envoy-ratelimit-redis.envoy-gateway-system.svc.cluster.local:6379" } } });
    expect(unknownValueKeys(charts.envoyGateway, controller)).toEqual([]);
    const deployment = objectsOf(twoConsumers, "apps/v1:Deployment").find((d) => d.metadata.name === "envoy-ratelimit-redis")!;
    expect(deployment.spec.template.spec.containers[0].image).toBe(images.redis);
    expect(images.redis).toMatch(/^docker\.io\/library\/redis:\d+\.\d+\.\d+-alpine$/);
    const service = objectsOf(twoConsumers, "core/v1:Service").find((d) => d.metadata.name === "envoy-ratelimit-redis")!;
    const policy = objectsOf(twoConsumers, "networking.k8s.io/v1:NetworkPolicy").find((d) => d.metadata.name === "envoy-ratelimit-redis")!;
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: rateLimitPodLabels } }], ports: [{ protocol: "TCP", port: 6379 }] }]);
    for (const object of [deployment, service, policy]) expect(() => validateManifest(object), object.kind).not.toThrow();
    // Stacks without budgets run no Redis and no rate-limit service.
    expect(objectsOf(stacks.prod!, "apps/v1:Deployment").filter((d) => d.metadata.name === "envoy-ratelimit-redis")).toEqual([]);
  });

  it("installs the AI gateway's CRDs as their own release, the controller after them, and its objects wait on both CRD releases only", () => {
    const result = stacks.prod!;
    const crds = releaseOf(result, "ai-gateway-crds-helm");
    const controller = releaseOf(result, "ai-gateway-helm");
    expect([crds.inputs.version, controller.inputs.version]).toEqual([charts.aiGatewayCrds.version, charts.aiGateway.version]);
    // The CRD chart has no values at all: it always renders its CRDs.
    expect(crds.inputs.values).toEqual({});
    expect(unknownValueKeys(charts.aiGateway, controller.inputs.values as Values)).toEqual([]);
    expect(controller.dependsOn).toContain(crds.urn);
    // The consumer header becomes the llm_consumer label of the gen_ai metrics: usage per consumer.
    expect((controller.inputs.values as Values).controller).toEqual({ metricsRequestHeaderAttributes: `${consumerHeader}:llm.consumer` });
    for (const object of result.resources.filter((r) => r.type.startsWith("kubernetes:aigateway.envoyproxy.io/"))) {
      expect(object.dependsOn, object.name).toContain(crds.urn);
      expect(object.dependsOn, object.name).toContain(releaseOf(result, "gateway-crds-helm").urn);
      expect(object.dependsOn, object.name).not.toContain(controller.urn);
    }
  });
});

describe("the load balancer per cloud", () => {
  const proxyOf = (stack: string) => ofType(stacks[stack]!, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy")[0]!.inputs as Values;
  const serviceOf = (stack: string) => proxyOf(stack).spec.provider.kubernetes.envoyService;

  it("EKS: a Network Load Balancer, whose idle timer Envoy's TCP keepalives restart well within its 350 s", () => {
    // Only the NLB type: EKS's cloud controller ignores the AWS Load Balancer Controller's listener attributes.
    expect(serviceOf("prod").annotations).toEqual({ "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" });
    expect(proxyOf("prod").spec.provider.kubernetes.envoyDeployment.replicas).toBe(3);
    // A non-streamed completion may send nothing for longer than the NLB allows an idle connection.
    expect(longestRequestSeconds).toBeGreaterThan(nlbIdleTimeoutSeconds);
    const keepalive = ofType(stacks.prod!, "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy")[0]!.inputs as Values;
    expect(keepalive.spec.targetRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gatewayConventions.gatewayName }]);
    const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)![1]);
    // The first probe after a minute of silence, then every 30 s: the NLB never sees 350 s of silence.
    expect(seconds(keepalive.spec.tcpKeepalive.idleTime) + seconds(keepalive.spec.tcpKeepalive.interval)).toBeLessThan(nlbIdleTimeoutSeconds / 2);
    expect(() => validateGatewayObject(keepalive)).not.toThrow();
  });

  it("GKE: the regional external L4 load balancer", () => {
    expect(serviceOf("gke-dev")).toMatchObject({ type: "LoadBalancer", loadBalancerClass: "networking.gke.io/l4-regional-external" });
    expect(serviceOf("gke-dev").annotations).toBeUndefined();
  });

  it("k3s: a plain LoadBalancer Service that ServiceLB binds to the nodes' ports", () => {
    expect(serviceOf("k3s-lab")).toEqual({ type: "LoadBalancer", externalTrafficPolicy: "Local" });
  });

  it("local stays on ingress-nginx (one pod on a laptop), with no Gateway objects, and its SLOs read nginx's counter", () => {
    expect(stacks.local!.resources.filter(isGatewayKind)).toEqual([]);
    expect(JSON.stringify(ofType(stacks.local!, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => r.inputs))).toContain("nginx_ingress_controller_requests");
    expect(releases(stacks.local!).map((r) => r.inputs.chart)).toContain("ingress-nginx");
  });
});
