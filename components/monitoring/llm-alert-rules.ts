import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  dcgmMetrics as dcgm,
  frontDoorRate,
  leLabel,
  llamacppMetrics as llamacpp,
  vllmMetrics as vllm,
  vllmOnly,
  type ServingSources,
} from "./metric-names";

/** The SLO targets and thresholds, as the stack config holds them. */
export interface LlmSlo {
  /** Fraction of requests that must not fail. */
  readonly availability: number;
  /** TTFT threshold in seconds; a bucket boundary of vLLM's TTFT histogram. */
  readonly ttftSeconds: number;
  /** Fraction of requests that must get their first token within `ttftSeconds`. */
  readonly ttftTarget: number;
  /** Waiting requests per replica that count as saturation. */
  readonly queueSaturation: number;
  /** Fraction of a GPU's memory in use that counts as pressure. */
  readonly gpuMemoryPressure: number;
}

export interface Rule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly Rule[];
}

/**
 * Multi-window, multi-burn-rate alerting (Google SRE workbook, "Alerting on SLOs", table 5-8): an alert
 * fires when the error budget burns at `factor` times the sustainable rate over both a long window (the
 * budget really is going) and a short one (it is still going now, so the alert resets quickly).
 */
export const burnRateWindows = [
  { severity: "critical", factor: 14.4, long: "1h", short: "5m" },
  { severity: "critical", factor: 6, long: "6h", short: "30m" },
  { severity: "warning", factor: 3, long: "1d", short: "2h" },
  { severity: "warning", factor: 1, long: "3d", short: "6h" },
] as const;

const windows = [...new Set(burnRateWindows.flatMap((w) => [w.short, w.long]))];

interface Sli {
  /** Recording-rule prefix, e.g. `llm:request_error_ratio`. */
  readonly record: string;
  /** Bad-event ratio over a range; by model_name. */
  readonly ratio: (range: string) => string;
  readonly objective: number;
  readonly alert: string;
  readonly summary: string;
}

function sliRules(sli: Sli): RuleGroup {
  const budget = 1 - sli.objective;
  const recordings: Rule[] = windows.map((range) => ({ record: `${sli.record}:rate${range}`, expr: sli.ratio(range) }));
  const severities = [...new Set(burnRateWindows.map((w) => w.severity))];
  const alerts: Rule[] = severities.map((severity) => {
    const pairs = burnRateWindows.filter((w) => w.severity === severity);
    const threshold = (factor: number) => Number((factor * budget).toPrecision(6));
    const expr = pairs
      .map((w) => `(${sli.record}:rate${w.long} > ${threshold(w.factor)} and ${sli.record}:rate${w.short} > ${threshold(w.factor)})`)
      .join(" or ");
    return {
      alert: `${sli.alert}${severity === "critical" ? "FastBurn" : "SlowBurn"}`,
      expr,
      labels: { severity, slo: sli.record },
      annotations: {
        summary: `${sli.summary} for model {{ $labels.model_name }} is burning its error budget too fast.`,
        description: `Objective ${sli.objective}; windows ${pairs.map((w) => `${w.factor}x over ${w.long}/${w.short}`).join(", ")}.`,
      },
    };
  });
  return { name: `${sli.record.replace(/[^a-z_]/g, "_")}`, rules: [...recordings, ...alerts] };
}

/**
 * Every rule group for the LLM serving SLOs and saturation; pure. Each engine is read through its
 * own metrics, and a rule is left out when no served engine can feed it: a query that can never
 * match would read as "all is well".
 */
export function llmAlertRuleGroups(slo: LlmSlo, sources: ServingSources = vllmOnly): RuleGroup[] {
  const cpuModels = sources.llamacpp.length > 0;
  // Availability: requests the engine finished with an error. Client aborts ("abort") and normal
  // stops ("stop", "length", "repetition") are not failures. llama.cpp counts no errors, so its
  // models are read at the front door: the share of 5xx answers.
  const errorRatios = (range: string) => [
    ...(sources.vllm
      ? [`sum by (model_name) (rate(${vllm.requestSuccess}{finished_reason="error"}[${range}]))` +
          ` / sum by (model_name) (rate(${vllm.requestSuccess}[${range}]))`]
      : []),
    ...(cpuModels && sources.frontDoor
      ? [`${frontDoorRate(sources, range, ', status=~"5.."')} / ${frontDoorRate(sources, range)}`]
      : []),
  ];
  const availability = sliRules({
    record: "llm:request_error_ratio",
    ratio: (range) => errorRatios(range).map((ratio, _, all) => (all.length > 1 ? `(${ratio})` : ratio)).join(" or "),
    objective: slo.availability,
    alert: "LlmAvailabilityBudget",
    summary: "Availability",
  });
  // TTFT: the fraction of requests slower than the threshold, read from the cumulative bucket at it.
  const le = leLabel(slo.ttftSeconds);
  const ttft = sliRules({
    record: "llm:ttft_slow_ratio",
    ratio: (range) =>
      `1 - (sum by (model_name) (rate(${vllm.ttftBucket}{le="${le}"}[${range}]))` +
      ` / sum by (model_name) (rate(${vllm.ttftCount}[${range}])))`,
    objective: slo.ttftTarget,
    alert: "LlmTtftBudget",
    summary: `Time to first token under ${slo.ttftSeconds}s`,
  });
  const queues = [...(sources.vllm ? [vllm.requestsWaiting] : []), ...(cpuModels ? [llamacpp.requestsDeferred] : [])];
  const saturation: RuleGroup = {
    name: "llm_saturation",
    rules: [
      {
        alert: "LlmQueueSaturated",
        expr: queues.map((queue) => `max by (namespace, pod, model_name) (${queue}) > ${slo.queueSaturation}`).join(" or "),
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.pod }} ({{ $labels.model_name }}) has {{ $value }} requests waiting.",
          description: `More than ${slo.queueSaturation} requests have been queued for 5 minutes: add replicas or GPUs.`,
        },
      },
      {
        alert: "GpuMemoryPressure",
        expr: `${dcgm.framebufferUsed} / (${dcgm.framebufferUsed} + ${dcgm.framebufferFree}) > ${slo.gpuMemoryPressure}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} uses {{ $value | humanizePercentage }} of its memory.",
          description: `Above ${slo.gpuMemoryPressure} for 10 minutes; the next allocation may fail with out-of-memory.`,
        },
      },
    ],
  };
  // TTFT and GPU memory exist only for vLLM: llama.cpp has no TTFT histogram (and the front door
  // only sees whole responses) and runs on no GPU.
  const saturationRules = sources.vllm ? saturation.rules : saturation.rules.filter((rule) => rule.alert !== "GpuMemoryPressure");
  return [
    ...(errorRatios("5m").length > 0 ? [availability] : []),
    ...(sources.vllm ? [ttft] : []),
    ...(queues.length > 0 ? [{ ...saturation, rules: saturationRules }] : []),
  ];
}

export interface LlmAlertRulesArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly slo: LlmSlo;
  /** The engines served. @default vLLM only */
  readonly sources?: ServingSources;
  /** The Prometheus Operator CRDs release (PrometheusRule). */
  readonly crds: pulumi.Resource;
}

/** The LLM SLO burn-rate alerts and saturation alerts as one PrometheusRule. */
export class LlmAlertRules extends pulumi.ComponentResource {
  readonly rule: k8s.apiextensions.CustomResource;

  constructor(name: string, args: LlmAlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:LlmAlertRules", name, {}, opts);
    this.rule = new k8s.apiextensions.CustomResource(
      `${name}-rule`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "llm-serving-slo", namespace: args.namespace },
        spec: { groups: llmAlertRuleGroups(args.slo, args.sources) },
      },
      { parent: this, provider: args.provider, dependsOn: [args.crds] },
    );
    this.registerOutputs({});
  }
}
