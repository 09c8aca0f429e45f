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

/** The windows compared: the short one against the baseline, which ends where the short one starts. */
export interface DriftWindows {
  /** A Prometheus duration, e.g. "1h". */
  readonly short: string;
  /** A Prometheus duration longer than `short`, e.g. "1d". */
  readonly baseline: string;
}

/**
 * The last hour against the day before it. The baseline ends where the short window starts, so a
 * shift under way does not pull its own baseline along; a config rule checks that Prometheus keeps both.
 */
export const defaultDriftWindows: DriftWindows = { short: "1h", baseline: "1d" };

/** How long a shift must hold before it alerts. */
export const driftFor = "15m";

/** A model whose thresholds differ from the stack's (models[].drift over addons.monitoring.drift). */
export interface ModelDriftThresholds {
  /** The served model name (vLLM's model_name label). */
  readonly model: string;
  readonly thresholds: DriftThresholds;
}

type Window = "short" | "baseline";

/**
 * The drift rules for vLLM models; pure. Each signal is recorded over both windows, by model version, and an
 * alert compares the two only for a model with `minRequests` requests in each. Every model gets the
 * stack's thresholds but those in `models`, whose rules are their own, selected by model_name.
 * llama.cpp exports no per-request histograms or error counts, so its models have no drift rules.
 */
export function driftRuleGroups(thresholds: DriftThresholds, models: readonly ModelDriftThresholds[] = [], windows: DriftWindows = defaultDriftWindows): RuleGroup[] {
  // By version as well as model: a canary of another model (or a new stable version) is compared with its
  // own baseline, not the model's mix, and a version with no baseline yet stays quiet under minRequests.
  const byModel = (expr: string) => `sum by (model_name, version) (${expr})`;
  const over = (metric: string, window: Window) => (window === "short" ? `${metric}[${windows.short}]` : `${metric}[${windows.baseline}] offset ${windows.short}`);
  const record = (name: string, window: Window) => `llm_drift:${name}:${window === "short" ? `rate${windows.short}` : `baseline${windows.baseline}`}`;
  /** Mean of a vLLM per-request histogram (its _sum over its _count) in a window, by model. */
  const mean = (histogram: string, window: Window) =>
    `${byModel(`rate(${over(`${histogram}_sum`, window)})`)} / ${byModel(`rate(${over(`${histogram}_count`, window)})`)}`;
  const signals: Record<string, (window: Window) => string> = {
    prompt_tokens_mean: (window) => mean(vllm.requestPromptTokens, window),
    completion_tokens_mean: (window) => mean(vllm.requestGenerationTokens, window),
    error_ratio: (window) =>
      `${byModel(`rate(${over(`${vllm.requestSuccess}{finished_reason="error"}`, window)})`)} / ${byModel(`rate(${over(vllm.requestSuccess, window)})`)}`,
    ttft_p90: (window) => `histogram_quantile(0.9, sum by (model_name, version, le) (rate(${over(vllm.ttftBucket, window)})))`,
    requests: (window) => byModel(`increase(${over(vllm.requestSuccess, window)})`),
  };
  const recordings: Rule[] = Object.entries(signals).flatMap(([name, expr]) => (["short", "baseline"] as const).map((window) => ({ record: record(name, window), expr: expr(window) })));
  const compared = `over the last ${windows.short} against the ${windows.baseline} before it`;
  const own = models.map((model) => model.model);
  const targets = [
    // The stack's thresholds for every model without its own (for all of them when none has).
    { matcher: own.length === 0 ? "" : `{model_name!~"${own.join("|")}"}`, thresholds, labels: {} },
    // A model's own: its label on the rule too, so that no two rules of one name have the same labels.
    ...models.map((model) => ({ matcher: `{model_name="${model.model}"}`, thresholds: model.thresholds, labels: { model_name: model.model } })),
  ];
  const alerts = targets.flatMap(({ matcher, thresholds: t, labels }) => {
    const alert = (name: string, expr: string, summary: string, description: string): Rule => ({
      alert: name,
      expr,
      for: driftFor,
      labels: { severity: "warning", category: "drift", ...labels },
      annotations: { summary, description },
    });
    const short = (name: string) => `${record(name, "short")}${matcher}`;
    const baseline = (name: string) => `${record(name, "baseline")}${matcher}`;
    const enough = `and on (model_name, version) ${short("requests")} >= ${t.minRequests} and on (model_name, version) ${baseline("requests")} >= ${t.minRequests}`;
    const eitherWay = (name: string, ratio: number) => `(${short(name)} / ${baseline(name)} > ${ratio} or ${baseline(name)} / ${short(name)} > ${ratio}) ${enough}`;
    return [
      alert(
        "LlmPromptLengthDrift",
        eitherWay("prompt_tokens_mean", t.promptTokensRatio),
        "Prompts to {{ $labels.model_name }} ({{ $labels.version }}) changed length: {{ $value | printf \"%.2f\" }}x their baseline.",
        `Mean prompt tokens ${compared} moved by more than ${t.promptTokensRatio}x: the traffic is not what the model was evaluated on (new clients, a new prompt template, truncation upstream).`,
      ),
      alert(
        "LlmCompletionLengthDrift",
        eitherWay("completion_tokens_mean", t.completionTokensRatio),
        "Completions from {{ $labels.model_name }} ({{ $labels.version }}) changed length: {{ $value | printf \"%.2f\" }}x their baseline.",
        `Mean completion tokens ${compared} moved by more than ${t.completionTokensRatio}x: the model answers differently (a new version, a changed sampling setting, degenerate or cut-off output).`,
      ),
      alert(
        "LlmErrorRateDrift",
        `${short("error_ratio")} - ${baseline("error_ratio")} > ${t.errorRateIncrease} ${enough}`,
        "{{ $labels.model_name }} ({{ $labels.version }}) fails a larger share of requests than its baseline: {{ $value | printf \"%.2f\" }} more.",
        `vLLM's error ratio (finished_reason="error") ${compared} rose by more than ${t.errorRateIncrease}.`,
      ),
      alert(
        "LlmTtftDrift",
        `${short("ttft_p90")} / ${baseline("ttft_p90")} > ${t.ttftRatio} ${enough}`,
        "Time to first token of {{ $labels.model_name }} ({{ $labels.version }}) is {{ $value | printf \"%.2f\" }}x its baseline (p90).",
        `p90 time to first token ${compared} is more than ${t.ttftRatio}x slower: longer prompts, a fuller KV cache or a slower version.`,
      ),
    ];
  });
  return [
    { name: "llm_drift_recordings", rules: recordings },
    { name: "llm_drift", rules: alerts },
  ];
}

export interface LlmDriftRulesArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  /** The stack's thresholds (addons.monitoring.drift). */
  readonly thresholds: DriftThresholds;
  /** Models with thresholds of their own (models[].drift). @default none */
  readonly models?: readonly ModelDriftThresholds[];
  /** @default defaultDriftWindows */
  readonly windows?: DriftWindows;
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
        spec: { groups: driftRuleGroups(args.thresholds, args.models, args.windows) },
      },
      { parent: this, provider: args.provider, dependsOn: [args.crds] },
    );
    this.registerOutputs({});
  }
}
