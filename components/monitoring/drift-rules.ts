import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Rule, RuleGroup } from "./llm-alert-rules";
import { vllmMetrics as vllm } from "./metric-names";

/** How far production may move from its baseline before an alert; the stack's `addons.monitoring.drift`. */
export interface DriftThresholds {
  /** Mean prompt length over the short window, against the baseline's, as a ratio either way (> 1). */
  readonly promptTokensRatio: number;
  /** The same for completion (generated) lengths. */
  readonly completionTokensRatio: number;
  /** The rise of the error ratio (0 to 1) over the baseline's that alerts. */
  readonly errorRateIncrease: number;
  /** p90 time to first token over the short window, against the baseline's (slower only, > 1). */
  readonly ttftRatio: number;
  /** Requests a model must have served in each window before it is compared: fewer are noise. */
  readonly minRequests: number;
}

/**
 * The windows: the last hour against the day before it. The baseline ends where the short window
 * starts, so a shift under way does not pull its own baseline along; Prometheus keeps at least 3 days
 * (config rule), more than the 25 hours this reads.
 */
export const driftWindows = { short: "1h", baseline: "1d", baselineOffset: "1h" } as const;

/** How long a shift must hold before it alerts. */
export const driftFor = "15m";

const byModel = (expr: string) => `sum by (model_name) (${expr})`;
const over = (metric: string, window: "short" | "baseline") =>
  window === "short" ? `${metric}[${driftWindows.short}]` : `${metric}[${driftWindows.baseline}] offset ${driftWindows.baselineOffset}`;
const record = (name: string, window: "short" | "baseline") => `llm_drift:${name}:${window === "short" ? `rate${driftWindows.short}` : `baseline${driftWindows.baseline}`}`;

/** Mean of a vLLM per-request histogram (its _sum over its _count) in a window, by model. */
const mean = (histogram: string, window: "short" | "baseline") =>
  `${byModel(`rate(${over(`${histogram}_sum`, window)})`)} / ${byModel(`rate(${over(`${histogram}_count`, window)})`)}`;

/**
 * The drift rules for vLLM models; pure. Each signal is recorded over both windows, and an alert
 * compares the two only for a model with `minRequests` requests in each. llama.cpp exports no
 * per-request histograms or error counts, so its models have no drift rules.
 */
export function driftRuleGroups(thresholds: DriftThresholds): RuleGroup[] {
  const windows = ["short", "baseline"] as const;
  const signals: Record<string, (window: "short" | "baseline") => string> = {
    prompt_tokens_mean: (window) => mean(vllm.requestPromptTokens, window),
    completion_tokens_mean: (window) => mean(vllm.requestGenerationTokens, window),
    error_ratio: (window) =>
      `${byModel(`rate(${over(`${vllm.requestSuccess}{finished_reason="error"}`, window)})`)} / ${byModel(`rate(${over(vllm.requestSuccess, window)})`)}`,
    ttft_p90: (window) => `histogram_quantile(0.9, sum by (model_name, le) (rate(${over(vllm.ttftBucket, window)})))`,
    requests: (window) => byModel(`increase(${over(vllm.requestSuccess, window)})`),
  };
  const recordings: Rule[] = Object.entries(signals).flatMap(([name, expr]) => windows.map((window) => ({ record: record(name, window), expr: expr(window) })));
  const short = (name: string) => record(name, "short");
  const baseline = (name: string) => record(name, "baseline");
  const enough = `and on (model_name) ${short("requests")} >= ${thresholds.minRequests} and on (model_name) ${baseline("requests")} >= ${thresholds.minRequests}`;
  const eitherWay = (name: string, ratio: number) => `(${short(name)} / ${baseline(name)} > ${ratio} or ${baseline(name)} / ${short(name)} > ${ratio}) ${enough}`;
  const alert = (name: string, expr: string, summary: string, description: string): Rule => ({
    alert: name,
    expr,
    for: driftFor,
    labels: { severity: "warning", category: "drift" },
    annotations: { summary, description },
  });
  const compared = `over the last ${driftWindows.short} against the ${driftWindows.baseline} before it`;
  return [
    { name: "llm_drift_recordings", rules: recordings },
    {
      name: "llm_drift",
      rules: [
        alert(
          "LlmPromptLengthDrift",
          eitherWay("prompt_tokens_mean", thresholds.promptTokensRatio),
          "Prompts to {{ $labels.model_name }} changed length: {{ $value | printf \"%.2f\" }}x their baseline.",
          `Mean prompt tokens ${compared} moved by more than ${thresholds.promptTokensRatio}x: the traffic is not what the model was evaluated on (new clients, a new prompt template, truncation upstream).`,
        ),
        alert(
          "LlmCompletionLengthDrift",
          eitherWay("completion_tokens_mean", thresholds.completionTokensRatio),
          "Completions from {{ $labels.model_name }} changed length: {{ $value | printf \"%.2f\" }}x their baseline.",
          `Mean completion tokens ${compared} moved by more than ${thresholds.completionTokensRatio}x: the model answers differently (a new version, a changed sampling setting, degenerate or cut-off output).`,
        ),
        alert(
          "LlmErrorRateDrift",
          `${short("error_ratio")} - ${baseline("error_ratio")} > ${thresholds.errorRateIncrease} ${enough}`,
          "{{ $labels.model_name }} fails a larger share of requests than its baseline: {{ $value | printf \"%.2f\" }} more.",
          `vLLM's error ratio (finished_reason="error") ${compared} rose by more than ${thresholds.errorRateIncrease}.`,
        ),
        alert(
          "LlmTtftDrift",
          `${short("ttft_p90")} / ${baseline("ttft_p90")} > ${thresholds.ttftRatio} ${enough}`,
          "Time to first token of {{ $labels.model_name }} is {{ $value | printf \"%.2f\" }}x its baseline (p90).",
          `p90 time to first token ${compared} is more than ${thresholds.ttftRatio}x slower: longer prompts, a fuller KV cache or a slower version.`,
        ),
      ],
    },
  ];
}

export interface LlmDriftRulesArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly thresholds: DriftThresholds;
  /** The Prometheus Operator CRDs release (PrometheusRule). */
  readonly crds: pulumi.Resource;
}

/** The quality drift alerts as one PrometheusRule, next to the SLO rules. */
export class LlmDriftRules extends pulumi.ComponentResource {
  constructor(name: string, args: LlmDriftRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:LlmDriftRules", name, {}, opts);
    new k8s.apiextensions.CustomResource(
      `${name}-rule`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "llm-serving-drift", namespace: args.namespace },
        spec: { groups: driftRuleGroups(args.thresholds) },
      },
      { parent: this, provider: args.provider, dependsOn: [args.crds] },
    );
    this.registerOutputs({});
  }
}
