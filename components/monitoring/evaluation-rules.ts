import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Rule, RuleGroup } from "./llm-alert-rules";
import { evaluationMetrics } from "./metric-names";

/** What the scheduled evaluation's score must hold; the stack's `addons.evaluation`. */
export interface EvaluationThresholds {
  /** Alert below this score (0 to 1]. */
  readonly minScore: number;
  /** Alert when the score is this much below its mean over the baseline window (0 to 1). */
  readonly maxDropFromBaseline: number;
}

/** The baseline: the day before the last hour, so that the drop being alerted on is not part of it. */
export const evalBaseline = { window: "1d", offset: "1h" } as const;

/**
 * The evaluation alerts; pure. The gauge holds each model version's last score until the next run, so
 * an alert stays for as long as the bad score is the latest. `models` lists models with a minimum
 * score of their own (models[].evaluation.minScore); the others get the stack's.
 */
export function evaluationRuleGroups(thresholds: EvaluationThresholds, models: readonly { model: string; minScore: number }[] = []): RuleGroup[] {
  const own = models.map((model) => model.model);
  const targets = [
    { matcher: own.length === 0 ? "" : `{model!~"${own.join("|")}"}`, minScore: thresholds.minScore, labels: {} },
    ...models.map((model) => ({ matcher: `{model="${model.model}"}`, minScore: model.minScore, labels: { model: model.model } })),
  ];
  const alert = (name: string, expr: string, labels: Record<string, string>, summary: string, description: string): Rule => ({
    alert: name,
    expr,
    // Scores change once per run: one bad run is enough, and waiting would only delay the page.
    labels: { severity: "warning", category: "evaluation", ...labels },
    annotations: { summary, description },
  });
  const low = targets.map(({ matcher, minScore, labels }) =>
    alert(
      "LlmEvalScoreLow",
      `${evaluationMetrics.score}${matcher} < ${minScore}`,
      labels,
      "{{ $labels.model }} ({{ $labels.version }}) scored {{ $value | printf \"%.2f\" }} in the scheduled evaluation.",
      `The last scheduled evaluation of this model version answered fewer than ${minScore} of its fixed prompts right: a broken version, template or sampling setting; see docs/model-lifecycle.md.`,
    ),
  );
  // One series per version on each side: the scrape adds pod and instance, and a restarted controller
  // pod leaves the old pod's series in the baseline window, which a plain match would refuse as many-to-many.
  const baseline = `max by (model, version) (avg_over_time(${evaluationMetrics.score}[${evalBaseline.window}] offset ${evalBaseline.offset}))`;
  const dropped = alert(
    "LlmEvalScoreDropped",
    `max by (model, version) (${evaluationMetrics.score}) < on (model, version) ${baseline} - ${thresholds.maxDropFromBaseline}`,
    {},
    "{{ $labels.model }} ({{ $labels.version }}) scores {{ $value | printf \"%.2f\" }}, well below its own baseline.",
    `The last scheduled evaluation scored more than ${thresholds.maxDropFromBaseline} below this model version's mean over the ${evalBaseline.window} before the last ${evalBaseline.offset}; see docs/model-lifecycle.md.`,
  );
  return [{ name: "llm_evaluation", rules: [...low, dropped] }];
}

export interface LlmEvaluationRulesArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly thresholds: EvaluationThresholds;
  /** Models with a minimum score of their own. @default none */
  readonly models?: readonly { model: string; minScore: number }[];
  /** The Prometheus Operator CRDs release (PrometheusRule). */
  readonly crds: pulumi.Resource;
}

/** The scheduled evaluation's alerts as one PrometheusRule. */
export class LlmEvaluationRules extends pulumi.ComponentResource {
  constructor(name: string, args: LlmEvaluationRulesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:LlmEvaluationRules", name, {}, opts);
    new k8s.apiextensions.CustomResource(
      `${name}-rule`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "llm-serving-evaluation", namespace: args.namespace },
        spec: { groups: evaluationRuleGroups(args.thresholds, args.models) },
      },
      { parent: this, provider: args.provider, dependsOn: [args.crds] },
    );
    this.registerOutputs({});
  }
}
