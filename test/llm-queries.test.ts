import { describe, expect, it } from "vitest";
import { llmAlertRuleGroups, type LlmSlo } from "../components/monitoring/llm-alert-rules";
import { llmDashboard } from "../components/monitoring/llm-dashboard";
import {
  consumerLabel,
  dcgmMetrics,
  frontDoorMetrics,
  genAiMetrics,
  knownMetricNames,
  leLabel,
  llamacppMetrics,
  vllmMetrics,
  vllmTtftBuckets,
  type ServingSources,
} from "../components/monitoring/metric-names";
import { interpolateGrafana, parsePromql } from "./support/promql";

const slo: LlmSlo = { availability: 0.995, ttftSeconds: 2.5, ttftTarget: 0.95, queueSaturation: 25, gpuMemoryPressure: 0.95 };

interface DashboardTarget { expr: string }
interface DashboardPanel { title: string; targets: DashboardTarget[] }
const dashboard = JSON.parse(JSON.stringify(llmDashboard())) as { panels: DashboardPanel[]; templating: { list: { name: string }[] } };
const dashboardExprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));

describe("the parser the tests rely on", () => {
  it("reports broken PromQL and reads metric names", () => {
    expect(parsePromql("sum(rate(foo[5m]) ").errors).not.toEqual([]);
    expect(parsePromql("rate(vllm:a_total{x=\"y\"}[5m]) / on(pod) b").metricNames).toEqual(["vllm:a_total", "b"]);
  });
});

describe("the LLM dashboard of a stack with the LLM API", () => {
  const panelsOf = (sources: ServingSources) => JSON.parse(JSON.stringify(llmDashboard(sources))) as { panels: DashboardPanel[] };
  const withApi = panelsOf({ vllm: true, llamacpp: [], llmApi: true });

  it("shows the API's tokens, time to first token and request duration per consumer and model, from the AI gateway's gen_ai metrics", () => {
    const usage = withApi.panels.filter((panel) => panel.title.startsWith("LLM API"));
    expect(usage.map((panel) => panel.title)).toEqual([
      "LLM API tokens per second, by consumer",
      "LLM API time to first token p95, by consumer",
      "LLM API request duration p95, by consumer",
    ]);
    const exprs = usage.flatMap((panel) => panel.targets.map((target) => target.expr));
    for (const expr of exprs) {
      const parsed = parsePromql(interpolateGrafana(expr));
      expect(parsed.errors, expr).toEqual([]);
      for (const name of parsed.metricNames) expect(knownMetricNames.has(name), name).toBe(true);
      expect(expr).toContain(`sum by (${consumerLabel}, gen_ai_request_model`);
    }
    expect(new Set(exprs.flatMap((expr) => parsePromql(interpolateGrafana(expr)).metricNames))).toEqual(new Set(Object.values(genAiMetrics)));
  });

  it("has no gen_ai panel where there is no LLM API (ingress-nginx, or no ingress)", () => {
    expect(JSON.stringify(panelsOf({ vllm: true, llamacpp: [] }))).not.toContain("gen_ai_");
  });
});

describe("the LLM dashboard", () => {
  it("is plain JSON that survives a round trip unchanged", () => {
    expect(JSON.parse(JSON.stringify(llmDashboard()))).toEqual(llmDashboard());
  });

  it("parses every query with the PromQL grammar", () => {
    for (const expr of dashboardExprs) expect(parsePromql(interpolateGrafana(expr)).errors, expr).toEqual([]);
  });

  it("queries only metrics vLLM and the DCGM exporter export", () => {
    const names = dashboardExprs.flatMap((expr) => parsePromql(interpolateGrafana(expr)).metricNames);
    for (const name of names) expect(knownMetricNames.has(name), name).toBe(true);
  });

  it("shows load, latency percentiles, throughput, KV cache and GPU panels", () => {
    const names = new Set(dashboardExprs.flatMap((expr) => parsePromql(interpolateGrafana(expr)).metricNames));
    for (const metric of [
      vllmMetrics.requestSuccess, vllmMetrics.requestsWaiting, vllmMetrics.requestsRunning, vllmMetrics.ttftBucket,
      vllmMetrics.interTokenLatencyBucket, vllmMetrics.generationTokens, vllmMetrics.promptTokens, vllmMetrics.kvCacheUsage,
      dcgmMetrics.gpuUtil, dcgmMetrics.framebufferUsed,
    ]) expect(names.has(metric), metric).toBe(true);
    const quantiles = dashboardExprs.filter((expr) => expr.startsWith("histogram_quantile"));
    expect(quantiles.some((expr) => expr.includes("0.99") && expr.includes(vllmMetrics.ttftBucket))).toBe(true);
    expect(quantiles.some((expr) => expr.includes("0.99") && expr.includes(vllmMetrics.interTokenLatencyBucket))).toBe(true);
  });

  it("filters every panel by the model_name variable", () => {
    expect(dashboard.templating.list.map((variable) => variable.name)).toContain("model_name");
    for (const expr of dashboardExprs) expect(expr, expr).toContain('model_name=~"$model_name"');
  });
});

const served = { namespace: "llm-serving", names: ["qwen-small"] };
/** A cloud stack: vLLM behind a scraped front door. */
const vllmBehindFrontDoor: ServingSources = { vllm: true, llamacpp: [], frontDoor: { implementation: "ingress-nginx", namespace: "llm-serving" } };
/** A stack like local: one llama.cpp model behind the front door, no vLLM, no GPU. */
const cpuOnly: ServingSources = { vllm: false, llamacpp: ["qwen-small"], frontDoor: { implementation: "ingress-nginx", namespace: "llm-serving" } };
const bothEngines: ServingSources = { ...cpuOnly, vllm: true };
const namesIn = (exprs: string[]) => new Set(exprs.flatMap((expr) => parsePromql(interpolateGrafana(expr)).metricNames));
const exprsOf = (model: Record<string, unknown>) =>
  (model as unknown as { panels: DashboardPanel[] }).panels.flatMap((panel) => panel.targets.map((target) => target.expr));
const isVllmOrGpu = (name: string) => name.startsWith("vllm:") || name.startsWith("DCGM_");

describe("the LLM dashboard of a stack serving llama.cpp", () => {
  const cpuExprs = exprsOf(llmDashboard(cpuOnly));

  it("parses, and reads only llama.cpp and front-door metrics: no vLLM or GPU query that could never match", () => {
    for (const expr of cpuExprs) expect(parsePromql(interpolateGrafana(expr)).errors, expr).toEqual([]);
    const names = namesIn(cpuExprs);
    for (const name of names) expect(knownMetricNames.has(name) && !isVllmOrGpu(name), name).toBe(true);
    for (const metric of [llamacppMetrics.requestsDeferred, llamacppMetrics.requestsProcessing, llamacppMetrics.generationTokens, llamacppMetrics.promptTokens, frontDoorMetrics.requests]) {
      expect(names.has(metric), metric).toBe(true);
    }
  });

  it("filters every panel by the selected models, and lists llama.cpp models in the picker", () => {
    for (const expr of cpuExprs) expect(expr, expr).toMatch(/(model_name|ingress)=~"\$model_name"/);
    const picker = JSON.stringify((llmDashboard(cpuOnly) as { templating: unknown }).templating);
    expect(picker).toContain("label_values(llamacpp:requests_processing, model_name)");
  });

  it("shows both engines side by side when a stack serves both", () => {
    const names = namesIn(exprsOf(llmDashboard(bothEngines)));
    for (const metric of [vllmMetrics.ttftBucket, dcgmMetrics.gpuUtil, llamacppMetrics.requestsDeferred]) expect(names.has(metric), metric).toBe(true);
    const picker = JSON.stringify((llmDashboard(bothEngines) as { templating: unknown }).templating);
    expect(picker).toContain('{__name__=~\\"vllm:num_requests_running|llamacpp:requests_processing\\"}');
  });
});

describe("the LLM alert rules of a stack serving llama.cpp", () => {
  const rules = llmAlertRuleGroups(slo, served, cpuOnly).flatMap((group) => group.rules);
  const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));

  it("parse, and read only llama.cpp and front-door metrics or their own recordings", () => {
    for (const rule of rules) {
      expect(parsePromql(rule.expr).errors, rule.expr).toEqual([]);
      for (const name of parsePromql(rule.expr).metricNames) {
        expect((knownMetricNames.has(name) && !isVllmOrGpu(name)) || recorded.has(name), `${name} in ${rule.expr}`).toBe(true);
      }
    }
  });

  it("measure availability at the front door: 5xx answers of the model's Ingress, named model_name", () => {
    const ratio = rules.find((rule) => rule.record === "llm:request_error_ratio:rate5m")!.expr;
    expect(ratio).toContain('nginx_ingress_controller_requests{exported_namespace="llm-serving", ingress=~"qwen-small", status=~"5.."}[5m]');
    expect(ratio).toContain('label_replace(');
    expect(rules.some((rule) => rule.alert === "LlmAvailabilityBudgetFastBurn")).toBe(true);
  });

  it("alert on llama.cpp's own queue, and leave out TTFT and GPU memory, which llama.cpp cannot report", () => {
    expect(rules.find((rule) => rule.alert === "LlmQueueSaturated")!.expr).toBe(
      "max by (namespace, pod, model_name) (llamacpp:requests_deferred) > 25",
    );
    expect(rules.map((rule) => rule.alert ?? rule.record).join(" ")).not.toMatch(/Ttft|ttft|GpuMemory/);
  });

  it("drop the availability SLO when no front door is scraped, rather than query nothing", () => {
    const groups = llmAlertRuleGroups(slo, served, { vllm: false, llamacpp: ["qwen-small"] });
    expect(groups.map((group) => group.name)).toEqual(["llm_saturation", "llm_down"]);
  });

  it("read every model's availability at the front door and join both engines' queues when a stack serves both", () => {
    const both = llmAlertRuleGroups(slo, { namespace: "llm-serving", names: ["qwen-small", "llama-8b"] }, bothEngines).flatMap((group) => group.rules);
    const ratio = both.find((rule) => rule.record === "llm:request_error_ratio:rate1h")!.expr;
    expect(ratio).toContain('ingress=~"qwen-small|llama-8b", status=~"5.."}[1h]');
    expect(ratio).not.toContain("vllm:");
    expect(both.find((rule) => rule.alert === "LlmQueueSaturated")!.expr).toBe(
      "max by (namespace, pod, model_name) (vllm:num_requests_waiting) > 25 or max by (namespace, pod, model_name) (llamacpp:requests_deferred) > 25",
    );
  });
});

describe("the LLM alert rules", () => {
  const groups = llmAlertRuleGroups(slo, served, vllmBehindFrontDoor);
  const rules = groups.flatMap((group) => group.rules);
  const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));

  it("parse with the PromQL grammar", () => {
    for (const rule of rules) expect(parsePromql(rule.expr).errors, rule.expr).toEqual([]);
  });

  it("read only vLLM, DCGM, front-door and kube-state metrics, or series recorded by the same rules", () => {
    for (const rule of rules) {
      for (const name of parsePromql(rule.expr).metricNames) {
        expect(knownMetricNames.has(name) || recorded.has(name), `${name} in ${rule.expr}`).toBe(true);
      }
    }
  });

  it("page at 14.4x over 1h and 5m or 6x over 6h and 30m, ticket at 3x over 1d/2h or 1x over 3d/6h", () => {
    const page = rules.find((rule) => rule.alert === "LlmAvailabilityBudgetFastBurn")!;
    // Error budget 0.5%: 14.4 x 0.005 = 0.072, 6 x 0.005 = 0.03.
    expect(page.expr).toBe(
      "(llm:request_error_ratio:rate1h > 0.072 and llm:request_error_ratio:rate5m > 0.072 and on (model_name, version) llm:frontdoor_requests:increase1h >= 100) or " +
        "(llm:request_error_ratio:rate6h > 0.03 and llm:request_error_ratio:rate30m > 0.03 and on (model_name, version) llm:frontdoor_requests:increase6h >= 100)",
    );
    expect(page.labels?.severity).toBe("critical");
    const ticket = rules.find((rule) => rule.alert === "LlmTtftBudgetSlowBurn")!;
    // TTFT budget 5%: 3 x 0.05 = 0.15, 1 x 0.05 = 0.05.
    expect(ticket.expr).toBe(
      "(llm:ttft_slow_ratio:rate1d > 0.15 and llm:ttft_slow_ratio:rate2h > 0.15) or " +
        "(llm:ttft_slow_ratio:rate3d > 0.05 and llm:ttft_slow_ratio:rate6h > 0.05)",
    );
    expect(ticket.labels?.severity).toBe("warning");
    for (const window of ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]) {
      expect(recorded.has(`llm:request_error_ratio:rate${window}`), window).toBe(true);
      expect(recorded.has(`llm:ttft_slow_ratio:rate${window}`), window).toBe(true);
    }
  });

  it("count slow requests at the configured TTFT bucket, rendered as Prometheus renders le", () => {
    const ttft = rules.find((rule) => rule.record === "llm:ttft_slow_ratio:rate5m")!;
    expect(ttft.expr).toContain(`${vllmMetrics.ttftBucket}{le="2.5"}[5m]`);
    expect(llmAlertRuleGroups({ ...slo, ttftSeconds: 1 }, served, vllmBehindFrontDoor).flatMap((g) => g.rules).find((r) => r.record === "llm:ttft_slow_ratio:rate5m")!.expr)
      .toContain('{le="1.0"}');
    expect(vllmTtftBuckets.map(leLabel)).toContain("2.5");
  });

  it("count availability from what clients get at the front door (5xx per model's Ingress), not from the engine", () => {
    const ratio = rules.find((rule) => rule.record === "llm:request_error_ratio:rate1h")!;
    expect(ratio.expr).toContain('nginx_ingress_controller_requests{exported_namespace="llm-serving", ingress=~"qwen-small", status=~"5.."}[1h]');
    expect(ratio.expr).toContain('"model_name", "$1", "ingress", "(.*)"');
    expect(ratio.expr).not.toContain("vllm:");
  });

  it("fall back to vLLM's own error count, with a volume guard, when no front door is scraped", () => {
    const engineOnly = llmAlertRuleGroups(slo, served).flatMap((g) => g.rules);
    expect(engineOnly.find((rule) => rule.record === "llm:request_error_ratio:rate1h")!.expr).toContain('vllm:request_success_total{finished_reason="error"}[1h]');
    expect(engineOnly.find((rule) => rule.alert === "LlmAvailabilityBudgetFastBurn")!.expr).toContain("llm:engine_requests:increase1h >= 100");
  });

  it("page on a model with no available replica, and on one whose Deployment is missing", () => {
    const down = rules.find((rule) => rule.alert === "LlmModelDown")!;
    expect(down.labels?.severity).toBe("critical");
    expect(down.expr).toContain('kube_deployment_status_replicas_available{namespace="llm-serving"}');
    const missing = rules.filter((rule) => rule.alert === "LlmModelMissing");
    expect(missing.map((rule) => rule.expr)).toEqual(['absent(kube_deployment_status_replicas_available{namespace="llm-serving",deployment="qwen-small"})']);
  });

  it("alert on queue saturation and GPU memory pressure at the configured thresholds", () => {
    const custom = llmAlertRuleGroups({ ...slo, queueSaturation: 7, gpuMemoryPressure: 0.9 }, served, vllmBehindFrontDoor).flatMap((g) => g.rules);
    expect(custom.find((rule) => rule.alert === "LlmQueueSaturated")!.expr).toMatch(/vllm:num_requests_waiting\) > 7$/);
    expect(custom.find((rule) => rule.alert === "GpuMemoryPressure")!.expr).toBe(
      "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.9",
    );
  });
});
