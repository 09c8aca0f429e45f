import { beforeAll, describe, expect, it } from "vitest";
import { driftRuleGroups, type DriftThresholds, type ModelDriftThresholds } from "../components/monitoring/drift-rules";
import { knownMetricNames } from "../components/monitoring/metric-names";
import { errorsOf, secretsFor, validateStack } from "./support/config";
import { parsePromql } from "./support/promql";
import { PromtoolBatch, promtool } from "./support/promtool";
import { ofType, synthStack } from "./support/synth";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any


const thresholds: DriftThresholds = { promptTokensRatio: 2, completionTokensRatio: 2, errorRateIncrease: 0.05, ttftRatio: 2, minRequests: 100 };
const labels = 'model_name="qwen-small",namespace="llm-serving",pod="qwen-small-0"';
/**
 * 25.5 h of samples: the day of baseline, then the hour compared with it. Every 5 minutes (and rules
 * evaluated as often), since a day-long window over 1-minute samples makes each promtool run seconds long.
 */
const baselineMinutes = 24 * 60;
const shiftedMinutes = 90;
const stepMinutes = 5;

/**
 * A counter that grows by `before` per minute through the baseline day, then by `after` (the shift;
 * equal to `before` for a stable series).
 */
function counter(series: string, before: number, after: number) {
  const [perStepBefore, perStepAfter] = [before * stepMinutes, after * stepMinutes];
  const atShift = before * baselineMinutes;
  return { series, values: `0+${perStepBefore}x${baselineMinutes / stepMinutes} ${atShift + perStepAfter}+${perStepAfter}x${shiftedMinutes / stepMinutes - 1}` };
}

/** Ten requests a minute; their prompt and completion lengths, TTFT bucket and error share before and after the shift. */
interface Traffic {
  readonly promptTokens: readonly [number, number];
  readonly completionTokens: readonly [number, number];
  /** Errors per minute, of the ten. */
  readonly errors: readonly [number, number];
  /** The TTFT bucket every request lands in (le), before and after. */
  readonly ttftLe: readonly [string, string];
}

const ttftBuckets = ["0.5", "1.0", "2.5", "5.0", "+Inf"];

function series(traffic: Traffic, seriesLabels = labels) {
  const perMinute = 10;
  const bucketRate = (le: string, landed: string) => (ttftBuckets.indexOf(le) >= ttftBuckets.indexOf(landed) ? perMinute : 0);
  return [
    counter(`vllm:request_prompt_tokens_sum{${seriesLabels}}`, perMinute * traffic.promptTokens[0], perMinute * traffic.promptTokens[1]),
    counter(`vllm:request_prompt_tokens_count{${seriesLabels}}`, perMinute, perMinute),
    counter(`vllm:request_generation_tokens_sum{${seriesLabels}}`, perMinute * traffic.completionTokens[0], perMinute * traffic.completionTokens[1]),
    counter(`vllm:request_generation_tokens_count{${seriesLabels}}`, perMinute, perMinute),
    counter(`vllm:request_success_total{${seriesLabels},finished_reason="stop"}`, perMinute - traffic.errors[0], perMinute - traffic.errors[1]),
    counter(`vllm:request_success_total{${seriesLabels},finished_reason="error"}`, traffic.errors[0], traffic.errors[1]),
    ...ttftBuckets.map((le) =>
      counter(`vllm:time_to_first_token_seconds_bucket{${seriesLabels},le="${le}"}`, bucketRate(le, traffic.ttftLe[0]), bucketRate(le, traffic.ttftLe[1])),
    ),
  ];
}

const stable: Traffic = { promptTokens: [400, 400], completionTokens: [200, 200], errors: [0, 0], ttftLe: ["0.5", "0.5"] };
const alerts = ["LlmPromptLengthDrift", "LlmCompletionLengthDrift", "LlmErrorRateDrift", "LlmTtftDrift"] as const;

const batch = new PromtoolBatch("drift");

/** The drift rules, each annotation but its description left out (for promtool test rules). */
function comparedRules(ruleThresholds: DriftThresholds, models: readonly ModelDriftThresholds[] = []) {
  // The summaries print the ratio, whose last digit moves with promtool's rate extrapolation: compared
  // here are the labels and the description, which hold the thresholds.
  const groups = driftRuleGroups(ruleThresholds, models).map((group) => ({
    ...group,
    rules: group.rules.map(({ annotations, ...rule }) => (annotations ? { ...rule, annotations: { description: annotations.description! } } : rule)),
  }));
  return { groups };
}

/**
 * A promtool scenario, registered now and run with the file's others: 90 minutes after the shift, the
 * alerts in `firing` fire, with their description, and all others stay quiet. The rules as deployed,
 * summaries included, must also pass promtool's checks (expressions and templates).
 */
function driftScenario(traffic: Traffic, firing: readonly string[], models: readonly ModelDriftThresholds[] = []): () => string {
  const evalTime = `${baselineMinutes + shiftedMinutes}m`;
  const rules = driftRuleGroups(thresholds, models).flatMap((group) => group.rules);
  const test = {
    interval: `${stepMinutes}m`,
    input_series: series(traffic),
    alert_rule_test: alerts.map((alertname) => ({
      eval_time: evalTime,
      alertname,
      exp_alerts: firing.includes(alertname)
        ? [{
            exp_labels: { severity: "warning", category: "drift", model_name: "qwen-small" },
            exp_annotations: { description: rules.find((r) => r.alert === alertname && (models.length === 0 || r.expr.includes('model_name="qwen-small"')))!.annotations!.description },
          }]
        : [],
    })),
  };
  const deployed = batch.check({ groups: driftRuleGroups(thresholds, models) });
  const verdict = batch.add(comparedRules(thresholds, models), [test], `${stepMinutes}m`);
  return () => {
    deployed();
    return verdict();
  };
}

/** A test of one promtool scenario: registered as the file is collected, judged when the test runs. */
const itJudges = (title: string, verdict: () => string) => it(title, () => expect(verdict()).toMatch(/SUCCESS/));

describe("the drift rules", () => {
  it("parse with Prometheus's grammar and read only metrics the engines export", () => {
    for (const rule of driftRuleGroups(thresholds).flatMap((group) => group.rules)) {
      const parsed = parsePromql(rule.expr);
      expect(parsed.errors, rule.expr).toEqual([]);
      for (const name of parsed.metricNames.filter((n) => !n.startsWith("llm_drift:"))) expect(knownMetricNames.has(name), name).toBe(true);
    }
  });

  it("give a model with its own thresholds rules of its own, and leave it out of the stack's", () => {
    const rules = driftRuleGroups(thresholds, [{ model: "qwen-small", thresholds: { ...thresholds, promptTokensRatio: 4 } }]).flatMap((group) => group.rules);
    const prompt = rules.filter((r) => r.alert === "LlmPromptLengthDrift");
    expect(prompt).toHaveLength(2);
    expect(prompt[0]!.expr).toContain('llm_drift:prompt_tokens_mean:rate1h{model_name!~"qwen-small"} / llm_drift:prompt_tokens_mean:baseline1d{model_name!~"qwen-small"} > 2 or');
    expect(prompt[1]!.expr).toContain('llm_drift:prompt_tokens_mean:rate1h{model_name="qwen-small"} / llm_drift:prompt_tokens_mean:baseline1d{model_name="qwen-small"} > 4 or');
    for (const rule of rules) expect(parsePromql(rule.expr).errors, rule.expr).toEqual([]);
  });

  it("compare the windows from config: the baseline ends where the short window starts", () => {
    const recordings = driftRuleGroups(thresholds, [], { short: "30m", baseline: "6h" })[0]!.rules;
    expect(recordings.find((r) => r.record === "llm_drift:requests:baseline6h")!.expr).toContain("[6h] offset 30m");
    expect(recordings.find((r) => r.record === "llm_drift:requests:rate30m")!.expr).toContain("[30m])");
  });

  it("take their thresholds from config", () => {
    const rules = driftRuleGroups({ ...thresholds, promptTokensRatio: 3.5, minRequests: 42 }).flatMap((group) => group.rules);
    expect(rules.find((r) => r.alert === "LlmPromptLengthDrift")!.expr).toContain("> 3.5");
    expect(rules.find((r) => r.alert === "LlmTtftDrift")!.expr).toContain(">= 42");
  });
});

describe.skipIf(!promtool)("the drift alerts in Prometheus's rule engine (promtool)", () => {
  beforeAll(() => batch.run());

  itJudges("stay quiet on a model whose traffic does not change", driftScenario(stable, []));

  itJudges("stay quiet on a small shift (1.5x, under the 2x threshold)", driftScenario({ ...stable, promptTokens: [400, 600], completionTokens: [200, 140] }, []));

  itJudges("fire when prompts get three times longer", driftScenario({ ...stable, promptTokens: [400, 1200] }, ["LlmPromptLengthDrift"]));

  itJudges(
    "stay quiet on prompts three times longer for a model whose own threshold is 4x (models[].drift)",
    driftScenario({ ...stable, promptTokens: [400, 1200] }, [], [{ model: "qwen-small", thresholds: { ...thresholds, promptTokensRatio: 4 } }]),
  );

  itJudges(
    "fire on a model's own, lower threshold that the stack's would not reach (1.5x against 1.3x)",
    driftScenario({ ...stable, promptTokens: [400, 600] }, ["LlmPromptLengthDrift"], [{ model: "qwen-small", thresholds: { ...thresholds, promptTokensRatio: 1.3 } }]),
  );

  itJudges("fire when completions get three times shorter (either way)", driftScenario({ ...stable, completionTokens: [300, 100] }, ["LlmCompletionLengthDrift"]));

  itJudges("fire when one request in five starts failing", driftScenario({ ...stable, errors: [0, 2] }, ["LlmErrorRateDrift"]));

  itJudges("fire when time to first token goes from under 0.5 s to 1-2.5 s", driftScenario({ ...stable, ttftLe: ["0.5", "2.5"] }, ["LlmTtftDrift"]));

  {
    const description = driftRuleGroups(thresholds)[1]!.rules.find((r) => r.alert === "LlmPromptLengthDrift")!.annotations!.description!;
    const version = (name: string) => `model_name="qwen-small",version="${name}",namespace="llm-serving",pod="qwen-small-${name}-0"`;
    const firing = { exp_labels: { severity: "warning", category: "drift", model_name: "qwen-small", version: "v2" }, exp_annotations: { description } };
    const test = {
      interval: `${stepMinutes}m`,
      // The stable version keeps its traffic; the canary's prompts get three times longer.
      input_series: [...series(stable, version("stable")), ...series({ ...stable, promptTokens: [400, 1200] }, version("v2"))],
      alert_rule_test: [{ eval_time: `${baselineMinutes + shiftedMinutes}m`, alertname: "LlmPromptLengthDrift", exp_alerts: [firing] }],
    };
    itJudges("compare each version of a model with its own baseline: a canary's longer prompts alert for it alone", batch.add(comparedRules(thresholds), [test], `${stepMinutes}m`));
  }

  {
    const test = {
      interval: `${stepMinutes}m`,
      input_series: series({ ...stable, promptTokens: [400, 1200] }),
      alert_rule_test: [{ eval_time: `${baselineMinutes + shiftedMinutes}m`, alertname: "LlmPromptLengthDrift", exp_alerts: [] }],
    };
    itJudges("stay quiet on a shifted model with too few requests to compare", batch.add({ groups: driftRuleGroups({ ...thresholds, minRequests: 1000 }) }, [test], `${stepMinutes}m`));
  }
});

describe("drift in the stacks", () => {
  it("dev has the drift PrometheusRule with its default thresholds; the local stack (llama.cpp only) has none", async () => {
    const dev = await synthStack("dev");
    const rule = ofType(dev, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => r.inputs as Values).find((r) => r.metadata.name === "llm-serving-drift")!;
    expect(rule.spec.groups.map((g: Values) => g.name)).toEqual(["llm_drift_recordings", "llm_drift"]);
    const prompt = rule.spec.groups[1].rules.find((r: Values) => r.alert === "LlmPromptLengthDrift");
    expect(prompt.expr).toContain("> 2 or");
    const local = await synthStack("local");
    expect(ofType(local, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").map((r) => (r.inputs.metadata as Values).name)).not.toContain("llm-serving-drift");
  });

  it.each([
    ["promptTokensRatio", 1, /must be > 1: a ratio of 1 is no change/],
    ["ttftRatio", 0.5, /must be > 1/],
    ["completionTokensRatio", 1000, /got 1000; must be <= 100/],
    ["errorRateIncrease", 1, /must be < 1: an error ratio rises by at most 1, so the alert could never fire/],
    ["errorRateIncrease", 0, /must be > 0/],
    ["minRequests", 0, /.+/],
  ])("refuse %s: %s, naming the key", (key, value, words) => {
    const errors = errorsOf(validateStack("dev", [{ set: ["addons", "monitoring", "drift", key], to: value }], secretsFor("dev")));
    expect(errors).toEqual([expect.stringMatching(new RegExp(`^llm-platform:addons\\.monitoring\\.drift\\.${key}: `))]);
    expect(errors[0]).toMatch(words);
  });
});
