import { describe, expect, it } from "vitest";
import { llmAlertRuleGroups, type LlmSlo } from "../components/monitoring/llm-alert-rules";
import { llmDashboard } from "../components/monitoring/llm-dashboard";
import {
  dcgmMetrics,
  frontDoorMetrics,
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

/** A stack like local: one llama.cpp model behind the front door, no vLLM, no GPU. */
const cpuOnly: ServingSources = { vllm: false, llamacpp: ["qwen-small"], frontDoor: { namespace: "llm-serving" } };
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
  const rules = llmAlertRuleGroups(slo, cpuOnly).flatMap((group) => group.rules);
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
    const groups = llmAlertRuleGroups(slo, { vllm: false, llamacpp: ["qwen-small"] });
    expect(groups.map((group) => group.name)).toEqual(["llm_saturation"]);
  });

  it("join both engines' errors and queues when a stack serves both", () => {
    const both = llmAlertRuleGroups(slo, bothEngines).flatMap((group) => group.rules);
    const ratio = both.find((rule) => rule.record === "llm:request_error_ratio:rate1h")!.expr;
    expect(ratio).toMatch(/^\(.*vllm:request_success_total.*\) or \(.*nginx_ingress_controller_requests.*\)$/);
    expect(both.find((rule) => rule.alert === "LlmQueueSaturated")!.expr).toBe(
      "max by (namespace, pod, model_name) (vllm:num_requests_waiting) > 25 or max by (namespace, pod, model_name) (llamacpp:requests_deferred) > 25",
    );
  });
});

describe("the LLM alert rules", () => {
  const groups = llmAlertRuleGroups(slo);
  const rules = groups.flatMap((group) => group.rules);
  const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));

  it("parse with the PromQL grammar", () => {
    for (const rule of rules) expect(parsePromql(rule.expr).errors, rule.expr).toEqual([]);
  });

  it("read only vLLM and DCGM metrics, or series recorded by the same rules", () => {
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
      "(llm:request_error_ratio:rate1h > 0.072 and llm:request_error_ratio:rate5m > 0.072) or " +
        "(llm:request_error_ratio:rate6h > 0.03 and llm:request_error_ratio:rate30m > 0.03)",
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
    expect(llmAlertRuleGroups({ ...slo, ttftSeconds: 1 }).flatMap((g) => g.rules).find((r) => r.record === "llm:ttft_slow_ratio:rate5m")!.expr)
      .toContain('{le="1.0"}');
    expect(vllmTtftBuckets.map(leLabel)).toContain("2.5");
  });

  it("count only engine errors against availability, not client aborts", () => {
    const ratio = rules.find((rule) => rule.record === "llm:request_error_ratio:rate1h")!;
    expect(ratio.expr).toContain('finished_reason="error"');
    expect(ratio.expr).not.toContain("abort");
  });

  it("alert on queue saturation and GPU memory pressure at the configured thresholds", () => {
    const custom = llmAlertRuleGroups({ ...slo, queueSaturation: 7, gpuMemoryPressure: 0.9 }).flatMap((g) => g.rules);
    expect(custom.find((rule) => rule.alert === "LlmQueueSaturated")!.expr).toMatch(/vllm:num_requests_waiting\) > 7$/);
    expect(custom.find((rule) => rule.alert === "GpuMemoryPressure")!.expr).toBe(
      "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.9",
    );
  });
});
