import { beforeAll, describe, expect, it } from "vitest";
import { llmRouteRules, maxRouteRules, modelHeader, reservedRouteRuleName, versionHeader } from "../components/ingress/ai-gateway-manifests";
import { envoyMetrics, envoyRouteCluster, evaluationMetrics, knownMetricNames } from "../components/monitoring/metric-names";
import { manifestsOf } from "../scripts/lib/manifests";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { policies } from "../policy/policies";
import { assertMatchesCrd, crdSchema } from "./support/crd-schema";
import { dependsOnNames } from "./support/dependencies";
import { validateManifest } from "./support/kube-models";
import { fromSynth, verdictsOnStack } from "./support/policy";
import { parsePromql } from "./support/promql";
import { objectsOf, ofType } from "./support/synth";
import { synthVariant } from "./support/variant";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * dev's qwen-small with a canary of a bigger model: the pool gets room for both versions (its 2 GPUs
 * hold one version at maxReplicas 2), and only the canary's weight differs between the variants.
 */
const withCanary = (weight: number) => (config: Record<string, unknown>) => {
  const cluster = config.cluster as { gpuPools: Values[] };
  cluster.gpuPools[0]!.maxSize = 4;
  const models = config.models as Values[];
  models[0] = { ...models[0], canary: { version: "v2", model: "Qwen/Qwen2.5-3B-Instruct", weight } };
};

const servingReleases = (result: SynthResult) => ofType(result, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "./charts/llm-serving");
const routeOf = (result: SynthResult) => objectsOf(result, "aigateway.envoyproxy.io/v1beta1:AIGatewayRoute")[0]!;

const variants: Record<number, SynthResult> = {};
/** The canary variant's llm-serving objects, rendered by real helm once. */
let rendered: Values[];
let stableOnCanaryModel: SynthResult;
beforeAll(async () => {
  for (const weight of [10, 100, 0]) variants[weight] = await synthVariant("dev", withCanary(weight));
  // Promotion's second step (docs/canary.md): the stable takes the canary's model while the canary has all the traffic.
  stableOnCanaryModel = await synthVariant("dev", (config) => {
    withCanary(100)(config);
    (config.models as Values[])[0]!.model = "Qwen/Qwen2.5-3B-Instruct";
  });
  rendered = manifestsOf(servingReleases(variants[10]!)).map((manifest) => manifest.object as Values);
});

describe("the LLM API's route rules (pure)", () => {
  const versions = { b: [{ version: "stable", backend: "b", weight: 90 }, { version: "v2", backend: "b-v2", weight: 10 }] };

  it("keep rule i for model i, so a canary never renumbers another model's rule (Envoy's metrics name rules by index)", () => {
    const rules = llmRouteRules(["a", "b", "c"], versions);
    expect(rules.slice(0, 3).map((rule) => rule.model)).toEqual(["a", "b", "c"]);
    expect(llmRouteRules(["a", "b", "c"]).map((rule) => rule.name)).toEqual(["a", "b", "c"]);
    expect(rules.slice(3).map((rule) => [rule.name, rule.version, rule.backendRefs])).toEqual([
      ["b.stable", "stable", [{ name: "b" }]],
      ["b.v2", "v2", [{ name: "b-v2" }]],
    ]);
  });

  it("keep a version at weight 0 in the weighted rule and its pinned rule: deployed, reachable by header, and back with one weight change", () => {
    const rules = llmRouteRules(["b"], { b: [{ version: "stable", backend: "b", weight: 100 }, { version: "v2", backend: "b-v2", weight: 0 }] });
    expect(rules[0]!.backendRefs).toEqual([{ name: "b", weight: 100 }, { name: "b-v2", weight: 0 }]);
    expect(rules.map((rule) => rule.name)).toEqual(["b", "b.stable", "b.v2"]);
  });
});

describe("a variant of dev with a canary at 10%", () => {
  it("routes the model's requests 90/10 to two backends, and pins x-llm-version: <version> to one, in one AIGatewayRoute", () => {
    const route = routeOf(variants[10]!);
    const header = (name: string, value: string) => ({ type: "Exact", name, value });
    expect(route.spec.rules.map((rule: Values) => [rule.name, rule.matches, rule.backendRefs])).toEqual([
      ["qwen-small", [{ headers: [header(modelHeader, "qwen-small")] }], [{ name: "qwen-small", weight: 90 }, { name: "qwen-small-v2", weight: 10 }]],
      ["qwen-small.stable", [{ headers: [header(modelHeader, "qwen-small"), header(versionHeader, "stable")] }], [{ name: "qwen-small" }]],
      ["qwen-small.v2", [{ headers: [header(modelHeader, "qwen-small"), header(versionHeader, "v2")] }], [{ name: "qwen-small-v2" }]],
    ]);
    // Gateway API ranks a match with more header matches first, so a pinned request takes its version's rule.
    expect(versionHeader).toBe("x-llm-version");
  });

  it("makes LLM API objects that match the pinned Envoy AI Gateway and Envoy Gateway CRDs' OpenAPI schemas (Ajv), and keeps by hand what their CEL rules ask (unique rule names, at most 15 rules, no reserved name)", () => {
    const schemas: Record<string, ReturnType<typeof crdSchema>> = {
      AIGatewayRoute: crdSchema("aigatewayroute-v1beta1.schema.json"),
      AIServiceBackend: crdSchema("aiservicebackend-v1beta1.schema.json"),
      BackendSecurityPolicy: crdSchema("backendsecuritypolicy-v1beta1.schema.json"),
      Backend: crdSchema("backend-v1alpha1.schema.json"),
    };
    const gatewayObjects = variants[10]!.resources.filter((r) => /^kubernetes:(aigateway\.envoyproxy\.io|gateway\.envoyproxy\.io\/v1alpha1:Backend$)/.test(r.type));
    expect(gatewayObjects.length).toBeGreaterThanOrEqual(6);
    for (const resource of gatewayObjects) {
      const object = resource.inputs as Values;
      const kind = resource.type.split(":").pop()!;
      assertMatchesCrd(schemas[kind]!, { ...object, apiVersion: resource.type.split(":")[1], kind });
    }
    const names = (routeOf(variants[10]!).spec.rules as Values[]).map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeLessThanOrEqual(maxRouteRules);
    expect(names).not.toContain(reservedRouteRuleName);
  });

  it("sends the canary its share only once its release is ready: the route waits for the canary's release, not the stable's", () => {
    const route = ofType(variants[10]!, "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute")[0]!;
    const [stable, canary] = servingReleases(variants[10]!).map((release) => release.name);
    expect(dependsOnNames(variants[10]!, route)).toContain(canary);
    expect(dependsOnNames(variants[10]!, route)).not.toContain(stable);
    // Only the route waits: the other LLM API objects carry no traffic by themselves.
    const backend = variants[10]!.resources.find((r) => r.type.endsWith(":AIServiceBackend"))!;
    expect(dependsOnNames(variants[10]!, backend)).not.toContain(canary);
  });

  it("gives the canary its own Backend (its release's Service) and AIServiceBackend, and sends it the models' key too", () => {
    const backend = objectsOf(variants[10]!, "gateway.envoyproxy.io/v1alpha1:Backend").find((b) => b.metadata.name === "qwen-small-v2")!;
    expect(backend.spec.endpoints).toEqual([{ fqdn: { hostname: "qwen-small-v2.llm-serving.svc.cluster.local", port: 8000 } }]);
    expect(objectsOf(variants[10]!, "aigateway.envoyproxy.io/v1beta1:AIServiceBackend").map((b) => b.metadata.name).sort()).toEqual(["qwen-small", "qwen-small-v2"]);
    const [keyPolicy] = objectsOf(variants[10]!, "aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy");
    expect(keyPolicy!.spec.targetRefs.map((ref: Values) => ref.name)).toEqual(["qwen-small", "qwen-small-v2"]);
  });

  it("serves each version as its own llm-serving release, both answering to the model's name, each labelled with its version", () => {
    const releases = servingReleases(variants[10]!);
    expect(releases.map((r) => r.inputs.name)).toEqual(["qwen-small", "qwen-small-v2"]);
    const model = (release: SynthResource) => (release.inputs.values as Values).model;
    expect(releases.map(model)).toEqual([
      expect.objectContaining({ name: "Qwen/Qwen2.5-1.5B-Instruct", servedModelName: "qwen-small", version: "stable" }),
      expect.objectContaining({ name: "Qwen/Qwen2.5-3B-Instruct", servedModelName: "qwen-small", version: "v2" }),
    ]);
    expect(variants[10]!.outputs.llmModels).toEqual(["qwen-small"]);
  });

  it("labels each release's series version=<its version> through its ServiceMonitor, which matches the operator's schema", () => {
    const monitors = rendered.filter((object) => object.kind === "ServiceMonitor");
    expect(monitors.map((m) => [m.metadata.name, m.spec.endpoints[0].relabelings])).toEqual([
      ["qwen-small", [{ targetLabel: "version", replacement: "stable" }]],
      ["qwen-small-v2", [{ targetLabel: "version", replacement: "v2" }]],
    ]);
    for (const monitor of monitors) validateManifest(monitor);
  });

  it("scales each version on its own queue only: both releases serve one model_name, so the query selects its version too", () => {
    const queue = (release: string) =>
      (rendered.find((o) => o.kind === "ScaledObject" && o.metadata.name === release)!.spec.triggers as Values[])[0]!.metadata.query as string;
    expect(queue("qwen-small")).toBe('sum(vllm:num_requests_waiting{namespace="llm-serving", model_name="qwen-small", version="stable"})');
    expect(queue("qwen-small-v2")).toBe('sum(vllm:num_requests_waiting{namespace="llm-serving", model_name="qwen-small", version="v2"})');
  });

  it("rolls each version out without a surge pod: the pool (4 GPUs) holds both versions at their most (2 x 2 x 1 GPU), no fifth", () => {
    const strategies = rendered.filter((o) => o.kind === "Deployment").map((d) => [d.metadata.name, d.spec.strategy.rollingUpdate]);
    expect(strategies).toEqual([
      ["qwen-small", { maxSurge: 0, maxUnavailable: 1 }],
      ["qwen-small-v2", { maxSurge: 0, maxUnavailable: 1 }],
    ]);
  });

  it("wakes each version from zero on the requests of the rules that send to it: the weighted one and its pinned one", () => {
    const activation = (release: string) =>
      (rendered.find((o) => o.kind === "ScaledObject" && o.metadata.name === release)!.spec.triggers as Values[]).find((t) => t.name === "front-door-activation")!.metadata.query as string;
    const clusters = (rules: number[]) => `envoy_cluster_name=~"${rules.map((rule) => envoyRouteCluster("llm-serving", "llm-api", rule)).join("|")}"`;
    expect(activation("qwen-small")).toBe(`sum(rate(${envoyMetrics.responses}{${clusters([0, 1])}}[2m])) + sum(${envoyMetrics.active}{${clusters([0, 1])}})`);
    expect(activation("qwen-small-v2")).toBe(`sum(rate(${envoyMetrics.responses}{${clusters([0, 2])}}[2m])) + sum(${envoyMetrics.active}{${clusters([0, 2])}})`);
  });

  it("puts both versions side by side on the LLM dashboard: latency, errors and tokens by model and version, and the evaluation score", () => {
    const configMap = ofType(variants[10]!, "kubernetes:core/v1:ConfigMap").find((r) => (r.inputs.metadata as Values).name === "llm-serving-dashboard")!;
    const dashboard = JSON.parse((configMap.inputs.data as Record<string, string>)["llm-serving.json"]!);
    const panel = (title: string) => (dashboard.panels as Values[]).find((p) => p.title === title)!;
    for (const title of ["Request rate", "Time to first token", "Inter-token latency", "Tokens per second"]) {
      for (const target of panel(title).targets as Values[]) {
        expect(target.expr, title).toMatch(/sum by \(model_name, version\b/);
        expect(target.legendFormat, title).toContain("{{version}}");
      }
    }
    // Errors: vLLM's finished_reason="error", per version.
    expect(panel("Request rate").targets[0].expr).toContain("finished_reason");
    // The score as Prometheus stores it: the evaluation's gauge, after the controller's ServiceMonitor strips Argo's prefix.
    const score = panel("Evaluation score, by version").targets[0];
    expect(score.expr).toBe(`max by (model, version) (llm_platform_eval_score{model=~"$model_name"})`);
    const argoRelease = ofType(variants[10]!, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "argo-workflows")!;
    const relabel = (argoRelease.inputs.values as Values).controller.metricsConfig.metricRelabelings[0];
    expect("argo_workflows_llm_platform_eval_score".replace(new RegExp(`^${relabel.regex}$`), relabel.replacement)).toBe("llm_platform_eval_score");
    expect(evaluationMetrics.score).toBe("llm_platform_eval_score");
    for (const p of dashboard.panels as Values[]) {
      for (const target of p.targets as Values[]) {
        const parsed = parsePromql(target.expr.replaceAll("$__rate_interval", "5m").replaceAll("$model_name", ".+"));
        expect(parsed.errors, target.expr).toEqual([]);
        for (const name of parsed.metricNames) expect(knownMetricNames.has(name), name).toBe(true);
      }
    }
  });

  it("alerts on the canary without double-counting it: its Deployment is watched by name, its front-door requests count once for the model, its engine SLIs are its own", () => {
    const [rule] = objectsOf(variants[10]!, "monitoring.coreos.com/v1:PrometheusRule").filter((r) => r.metadata.name === "llm-serving-slo");
    const rules = (rule!.spec.groups as Values[]).flatMap((group) => group.rules as Values[]);
    // Labelled as the engine's series are: the model's name and the version, not the release's name.
    expect(rules.filter((r) => r.alert === "LlmModelMissing").map((r) => [r.expr, r.labels.model_name, r.labels.version])).toEqual([
      ['absent(kube_deployment_status_replicas_available{namespace="llm-serving",deployment="qwen-small"})', "qwen-small", "stable"],
      ['absent(kube_deployment_status_replicas_available{namespace="llm-serving",deployment="qwen-small-v2"})', "qwen-small", "v2"],
    ]);
    const down = rules.find((r) => r.alert === "LlmModelDown")!.expr as string;
    expect(down).toContain('"model_name", "qwen-small", "deployment", "qwen-small-v2"), "version", "v2", "deployment", "qwen-small-v2")');
    expect(down).toContain("and on (model_name, version)");
    // The model's three rules, each once: the weighted one and the two pinned ones.
    const errors = rules.find((r) => r.record === "llm:request_error_ratio:rate5m")!.expr as string;
    const cluster = `envoy_cluster_name=~"${[0, 1, 2].map((index) => envoyRouteCluster("llm-serving", "llm-api", index)).join("|")}"`;
    expect(errors.split(cluster).length - 1).toBe(2);
    expect(errors).not.toContain("rule/3");
    expect(rules.find((r) => r.record === "llm:ttft_slow_ratio:rate5m")!.expr).toContain("sum by (model_name, version)");
  });

  it("passes every policy of the pack", async () => {
    const violations: string[] = [];
    for (const policy of policies) {
      for (const { where, verdict } of await verdictsOnStack(policy, variants[10]!.resources.map((r) => fromSynth("dev", r)))) {
        if (verdict.applicable === true) violations.push(...verdict.violations.map((v) => `${where}: ${v}`));
      }
    }
    expect(violations).toEqual([]);
  });
});

describe("promotion and rollback are one config change", () => {
  it("promotion's second step (the stable takes the canary's model at weight 100) leaves the canary, its backends and the route untouched, and rolls only the stable", () => {
    const byUrn = (result: SynthResult) => new Map(result.resources.map((r) => [r.urn, JSON.stringify(r)]));
    const before = byUrn(variants[100]!);
    const after = byUrn(stableOnCanaryModel);
    expect([...after.keys()]).toEqual([...before.keys()]);
    const changed = [...after].filter(([urn, json]) => before.get(urn) !== json).map(([urn]) => stableOnCanaryModel.resources.find((r) => r.urn === urn)!);
    expect(changed.map((r) => [r.type, r.name])).toEqual([["kubernetes:helm.sh/v3:Release", servingReleases(variants[100]!)[0]!.name]]);
    expect((servingReleases(stableOnCanaryModel)[0]!.inputs.values as Values).model.name).toBe("Qwen/Qwen2.5-3B-Instruct");
  });


  /** Every resource by URN, the route's weights blanked. */
  const withoutWeights = (result: SynthResult) =>
    Object.fromEntries(
      result.resources.map((r) => {
        if (!r.type.endsWith(":AIGatewayRoute")) return [r.urn, r];
        const spec = (r.inputs as Values).spec;
        const rules = (spec.rules as Values[]).map((rule) => ({ ...rule, backendRefs: (rule.backendRefs as Values[]).map((ref) => ({ name: ref.name })) }));
        return [r.urn, { ...r, inputs: { ...r.inputs, spec: { ...spec, rules } } }];
      }),
    );
  const changed = (a: SynthResult, b: SynthResult) => a.resources.filter((r) => JSON.stringify(r) !== JSON.stringify(b.resources.find((other) => other.urn === r.urn))).map((r) => r.type);

  it.each([
    ["promotion", 100, [0, 100]],
    ["rollback", 0, [100, 0]],
  ] as const)("%s (weight 10 -> %i) changes only the route's weights: the same resources, no serving release touched", (_change, weight, [stable, canary]) => {
    const from = variants[10]!;
    const to = variants[weight]!;
    expect(to.resources.map((r) => r.urn)).toEqual(from.resources.map((r) => r.urn));
    expect(changed(from, to)).toEqual(["kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"]);
    expect(withoutWeights(to)).toEqual(withoutWeights(from));
    expect(routeOf(to).spec.rules[0].backendRefs).toEqual([{ name: "qwen-small", weight: stable }, { name: "qwen-small-v2", weight: canary }]);
  });
});

describe("the scheduled evaluation of a canary", () => {
  it("scores each version at its own Service, under its version's name, so that the dashboard shows them side by side", () => {
    const cron = objectsOf(variants[10]!, "argoproj.io/v1alpha1:CronWorkflow").find((c) => c.metadata.name === "model-evaluation")!;
    const tasks = (cron.spec.workflowSpec.templates as Values[])[0]!.dag.tasks as Values[];
    expect(tasks.map((task) => Object.fromEntries((task.arguments.parameters as Values[]).map((p) => [p.name, p.value])))).toEqual([
      expect.objectContaining({ model: "qwen-small", version: "stable", "base-url": "http://qwen-small.llm-serving.svc.cluster.local:8000" }),
      expect.objectContaining({ model: "qwen-small", version: "v2", "base-url": "http://qwen-small-v2.llm-serving.svc.cluster.local:8000" }),
    ]);
  });
});
