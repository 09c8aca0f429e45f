import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  dcgmMetrics as dcgm,
  frontDoorRate,
  kubeStateMetrics as ksm,
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

/** What is served: each model is a Deployment and an Ingress of its name in this namespace. */
export interface ServedModels {
  readonly namespace: string;
  readonly names: readonly string[];
  /**
   * The model name and version each release (of `names`) serves, so that its Deployment's alerts carry
   * the labels its engine series have (a canary `m-v2` is model_name="m", version="v2").
   * @default each release is its own model_name, with no version label
   */
  readonly versions?: Readonly<Record<string, { readonly model: string; readonly version: string }>>;
}

/**
 * Requests a model must have had over an alert's long window before its error ratio may page: with
 * fewer, one failed request in a dozen is already above the 1-hour threshold.
 */
export const minRequestsToAlert = 100;

/**
 * The Progressing condition's reasons while a Deployment rolls out within its deadline (Kubernetes'
 * deployment controller; kube-state-metrics 2.20 keeps them as the `reason` label).
 */
const rolloutReasons = ["NewReplicaSetCreated", "FoundNewReplicaSet", "ReplicaSetUpdated"].join("|");

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
  /** Bad-event ratio over a range; by model_name (and version, where the series have one). */
  readonly ratio: (range: string) => string;
  readonly objective: number;
  readonly alert: string;
  readonly summary: string;
  /** Requests over a range, by the same labels as the ratio; alerts need `minRequestsToAlert` of them in their long window. */
  readonly volume?: { readonly record: string; readonly increase: (range: string) => string };
}

/**
 * The engines' SLIs are per model and version (the ServiceMonitor labels each release's series with
 * its version), so a canary at a small weight is judged on its own requests, not diluted by the
 * stable's; the front door counts a model's weighted rule once for both versions, so its SLI is per model.
 */
const byVersion = "model_name, version";
/** "(version v2)" after the model in a summary, when the series has a version. */
const versionNote = "{{ with $labels.version }} (version {{ . }}){{ end }}";

function sliRules(sli: Sli): RuleGroup {
  const budget = 1 - sli.objective;
  const { volume } = sli;
  const longWindows = [...new Set(burnRateWindows.map((w) => w.long))];
  const recordings: Rule[] = [
    ...windows.map((range) => ({ record: `${sli.record}:rate${range}`, expr: sli.ratio(range) })),
    ...(volume ? longWindows.map((range) => ({ record: `${volume.record}:increase${range}`, expr: volume.increase(range) })) : []),
  ];
  // On the version too: a canary's ratio needs its own requests (series without one match each other).
  const enough = (long: string) => (volume ? ` and on (model_name, version) ${volume.record}:increase${long} >= ${minRequestsToAlert}` : "");
  const severities = [...new Set(burnRateWindows.map((w) => w.severity))];
  const alerts: Rule[] = severities.map((severity) => {
    const pairs = burnRateWindows.filter((w) => w.severity === severity);
    const threshold = (factor: number) => Number((factor * budget).toPrecision(6));
    const expr = pairs
      .map((w) => `(${sli.record}:rate${w.long} > ${threshold(w.factor)} and ${sli.record}:rate${w.short} > ${threshold(w.factor)}${enough(w.long)})`)
      .join(" or ");
    return {
      alert: `${sli.alert}${severity === "critical" ? "FastBurn" : "SlowBurn"}`,
      expr,
      labels: { severity, slo: sli.record },
      annotations: {
        summary: `${sli.summary} for model {{ $labels.model_name }}${versionNote} is burning its error budget too fast.`,
        description: `Objective ${sli.objective}; windows ${pairs.map((w) => `${w.factor}x over ${w.long}/${w.short}`).join(", ")}.`,
      },
    };
  });
  return { name: `${sli.record.replace(/[^a-z_]/g, "_")}`, rules: [...recordings, ...alerts] };
}

/**
 * Every rule group for the LLM serving SLOs and saturation; pure. Each engine is read through its
 * own metrics, and a rule is left out when nothing served can feed it: a query that can never match
 * would read as "all is well".
 */
export function llmAlertRuleGroups(slo: LlmSlo, served: ServedModels, sources: ServingSources = vllmOnly): RuleGroup[] {
  const cpuModels = sources.llamacpp.length > 0;
  const availability = availabilitySli(slo, served, sources);
  const byModel = (metric: string) => {
    // A selector of its own gets the namespace matcher added inside its braces.
    const selector = metric.includes("{") ? metric.replace("{", `{namespace="${served.namespace}",`) : `${metric}{namespace="${served.namespace}"}`;
    const byDeployment = `label_replace(${selector}, "model_name", "$1", "deployment", "(.+)")`;
    // Release names are DNS labels: no regex metacharacter but "-", literal outside brackets.
    return Object.entries(served.versions ?? {}).reduce(
      (expr, [release, { model, version }]) =>
        `label_replace(${model === release ? expr : `label_replace(${expr}, "model_name", "${model}", "deployment", "${release}")`}, "version", "${version}", "deployment", "${release}")`,
      byDeployment,
    );
  };
  const servedAs = (release: string) => served.versions?.[release] ?? { model: release, version: undefined };
  const down: RuleGroup = {
    name: "llm_down",
    rules: [
      {
        // No ready replica: every request gets 503, idle or not. Nothing the engine exports shows it.
        // Except during a rollout: a one-replica model on a full GPU pool has none while its new pod
        // loads (maxSurge 0). The Deployment's Progressing condition carries a rollout reason until
        // the rollout completes or overruns progressDeadlineSeconds (then ProgressDeadlineExceeded);
        // a crash after a completed rollout leaves NewReplicaSetAvailable, so that still pages.
        alert: "LlmModelDown",
        expr:
          `(${byModel(ksm.deploymentAvailable)} == 0 and on (model_name, version) ${byModel(ksm.deploymentDesired)} > 0)` +
          ` unless on (model_name, version) (${byModel(`${ksm.deploymentCondition}{condition="Progressing",status="true",reason=~"${rolloutReasons}"}`)} == 1)`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Model {{ $labels.model_name }}{{ with $labels.version }} (version {{ . }}){{ end }} has no available replica.",
          description:
            "Its Deployment has had 0 available replicas for 5 minutes, outside a rollout within its progress deadline: every request fails.",
        },
      },
      // A model whose Deployment is gone (a failed release, a deleted object) has no series at all.
      ...served.names.map((release) => {
        const { model, version } = servedAs(release);
        return {
          alert: "LlmModelMissing",
          expr: `absent(${ksm.deploymentAvailable}{namespace="${served.namespace}",deployment="${release}"})`,
          for: "10m",
          labels: { severity: "critical", model_name: model, ...(version === undefined ? {} : { version }) },
          annotations: {
            summary: `Model ${model}${version === undefined ? "" : ` (version ${version})`} has no Deployment${release === model ? "" : ` ${release}`} in ${served.namespace}.`,
            description: "The stack serves it, but kube-state-metrics has not seen its Deployment for 10 minutes.",
          },
        };
      }),
    ],
  };
  // TTFT: the fraction of requests slower than the threshold, read from the cumulative bucket at it.
  const le = leLabel(slo.ttftSeconds);
  const ttft = sliRules({
    record: "llm:ttft_slow_ratio",
    ratio: (range) =>
      `1 - (sum by (${byVersion}) (rate(${vllm.ttftBucket}{le="${le}"}[${range}]))` +
      ` / sum by (${byVersion}) (rate(${vllm.ttftCount}[${range}])))`,
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
    ...(availability ? [availability] : []),
    ...(sources.vllm ? [ttft] : []),
    ...(queues.length > 0 ? [{ ...saturation, rules: saturationRules }] : []),
    down,
  ];
}

/**
 * Availability as clients see it, where the front door's metrics are scraped: each model's 5xx
 * answers at its Ingress or its Envoy route (named after it), and at its rule of the LLM API's route
 * (`https://api.<domain>`). That counts crashes, timeouts and "no replica" (503; behind Envoy every
 * model route goes to the Service address for that: llm-serving.ts, the LLM API's Backends), which no
 * engine reports; client aborts (499), rate limits and refused keys (4xx) are not the service failing.
 * Without a front door, vLLM's own error count is the next best; llama.cpp counts no errors at all.
 */
function availabilitySli(slo: LlmSlo, served: ServedModels, sources: ServingSources): RuleGroup | undefined {
  const common = { record: "llm:request_error_ratio", objective: slo.availability, alert: "LlmAvailabilityBudget", summary: "Availability" };
  if (sources.frontDoor && served.names.length > 0) {
    const models = served.names;
    return sliRules({
      ...common,
      ratio: (range) => `${frontDoorRate(sources, range, { models, errorsOnly: true })} / ${frontDoorRate(sources, range, { models })}`,
      volume: { record: "llm:frontdoor_requests", increase: (range) => frontDoorRate(sources, range, { models, fn: "increase" }) },
    });
  }
  if (!sources.vllm) return undefined;
  return sliRules({
    ...common,
    ratio: (range) =>
      `sum by (${byVersion}) (rate(${vllm.requestSuccess}{finished_reason="error"}[${range}]))` +
      ` / sum by (${byVersion}) (rate(${vllm.requestSuccess}[${range}]))`,
    volume: { record: "llm:engine_requests", increase: (range) => `sum by (${byVersion}) (increase(${vllm.requestSuccess}[${range}]))` },
  });
}

export interface LlmAlertRulesArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  readonly slo: LlmSlo;
  readonly served: ServedModels;
  /** The engines served and whether the front door is scraped. @default vLLM only, no front door */
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
        spec: { groups: llmAlertRuleGroups(args.slo, args.served, args.sources) },
      },
      { parent: this, provider: args.provider, dependsOn: [args.crds] },
    );
    this.registerOutputs({});
  }
}
