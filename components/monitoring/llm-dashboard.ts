import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  dcgmMetrics as dcgm,
  consumerLabel,
  evaluationMetrics as evaluation,
  envoyMetrics as envoy,
  genAiMetrics as genAi,
  frontDoorMetrics as frontDoor,
  llamacppMetrics as llamacpp,
  vllmMetrics as vllm,
  vllmOnly,
  type ServingSources,
} from "./metric-names";

/** Grafana's sidecar loads every ConfigMap with this label as a dashboard (kps default). */
export const dashboardLabel = { grafana_dashboard: "1" } as const;

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
  /** What must be served for the query to have data (a front door: only where a llama.cpp model is behind it). */
  readonly needs: "vllm" | "llamacpp" | "ingress-nginx" | "envoy-gateway" | "llmApi" | "evaluation";
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly Target[];
}

const model = `model_name=~"$model_name"`;
const window = "$__rate_interval";
/**
 * The engines' series are grouped by version too: every release's ServiceMonitor labels them with its
 * model version (stacks/serving.ts), so a canary and its stable version are side by side.
 */
const byVersion = "model_name, version";
const named = "{{model_name}} {{version}}";

/** GPUs whose workload pod serves the selected model: dcgm-exporter labels each GPU with its pod. */
const gpusOfModel = (metric: string) =>
  `${metric} and on(namespace, pod) ${vllm.requestsRunning}{${model}}`;

const percentiles = (bucket: string, what: string): Target[] =>
  [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${byVersion}, le) (rate(${bucket}{${model}}[${window}])))`,
    legendFormat: `${what} p${q * 100} ${named}`,
    needs: "vllm" as const,
  }));

/** A p95 panel of one of the LLM API's histograms, per consumer and model. */
function apiP95(title: string, bucket: string): Panel {
  const expr = `histogram_quantile(0.95, sum by (${consumerLabel}, gen_ai_request_model, le) (rate(${bucket}{gen_ai_request_model=~"$model_name"}[${window}])))`;
  return { title, unit: "s", targets: [{ expr, legendFormat: `{{${consumerLabel}}} {{gen_ai_request_model}}`, needs: "llmApi" }] };
}

/**
 * The panels, in reading order: load, latency, throughput, memory, GPUs. Each target names the engine
 * it reads; `llmDashboard` keeps only those the stack serves.
 */
export const llmPanels: readonly Panel[] = [
  {
    title: "Request rate",
    unit: "reqps",
    targets: [
      { expr: `sum by (${byVersion}, finished_reason) (rate(${vllm.requestSuccess}{${model}}[${window}]))`, legendFormat: `${named} {{finished_reason}}`, needs: "vllm" },
      // llama.cpp counts no requests by outcome: the front door does, per Ingress or per route (named after the model).
      { expr: `sum by (ingress, status) (rate(${frontDoor.requests}{ingress=~"$model_name"}[${window}]))`, legendFormat: "{{ingress}} HTTP {{status}}", needs: "ingress-nginx" },
      {
        expr: `sum by (envoy_cluster_name, envoy_response_code_class) (rate(${envoy.responses}{envoy_cluster_name=~"httproute/[^/]+/($model_name)/rule/0"}[${window}]))`,
        legendFormat: "{{envoy_cluster_name}} HTTP {{envoy_response_code_class}}xx",
        needs: "envoy-gateway",
      },
    ],
  },
  {
    title: "Queue depth",
    unit: "short",
    targets: [
      { expr: `sum by (${byVersion}) (${vllm.requestsWaiting}{${model}})`, legendFormat: `waiting ${named}`, needs: "vllm" },
      { expr: `sum by (${byVersion}) (${vllm.requestsRunning}{${model}})`, legendFormat: `running ${named}`, needs: "vllm" },
      { expr: `sum by (${byVersion}) (${llamacpp.requestsDeferred}{${model}})`, legendFormat: `waiting ${named}`, needs: "llamacpp" },
      { expr: `sum by (${byVersion}) (${llamacpp.requestsProcessing}{${model}})`, legendFormat: `running ${named}`, needs: "llamacpp" },
    ],
  },
  { title: "Time to first token", unit: "s", targets: percentiles(vllm.ttftBucket, "TTFT") },
  { title: "Inter-token latency", unit: "s", targets: percentiles(vllm.interTokenLatencyBucket, "ITL") },
  {
    title: "Tokens per second",
    unit: "short",
    targets: [
      { expr: `sum by (${byVersion}) (rate(${vllm.generationTokens}{${model}}[${window}]))`, legendFormat: `generated ${named}`, needs: "vllm" },
      { expr: `sum by (${byVersion}) (rate(${vllm.promptTokens}{${model}}[${window}]))`, legendFormat: `prompt ${named}`, needs: "vllm" },
      { expr: `sum by (${byVersion}) (rate(${llamacpp.generationTokens}{${model}}[${window}]))`, legendFormat: `generated ${named}`, needs: "llamacpp" },
      { expr: `sum by (${byVersion}) (rate(${llamacpp.promptTokens}{${model}}[${window}]))`, legendFormat: `prompt ${named}`, needs: "llamacpp" },
    ],
  },
  {
    title: "Generation speed per request (llama.cpp)",
    unit: "short",
    targets: [{ expr: `avg by (${byVersion}) (${llamacpp.generationSpeed}{${model}})`, legendFormat: `tokens/s ${named}`, needs: "llamacpp" }],
  },
  // The scheduled evaluation's score of each version: a canary is promoted when it holds up here too.
  {
    title: "Evaluation score, by version",
    unit: "percentunit",
    targets: [
      {
        expr: `max by (model, version) (${evaluation.score}{model=~"$model_name"})`,
        legendFormat: "{{model}} {{version}}",
        needs: "evaluation",
      },
    ],
  },
  // Usage of the one LLM API, per consumer and model, as the AI gateway counts it.
  {
    title: "LLM API tokens per second, by consumer",
    unit: "short",
    targets: [
      {
        expr: `sum by (${consumerLabel}, gen_ai_request_model, gen_ai_token_type) (rate(${genAi.tokenUsageSum}{gen_ai_request_model=~"$model_name"}[${window}]))`,
        legendFormat: `{{${consumerLabel}}} {{gen_ai_request_model}} {{gen_ai_token_type}}`,
        needs: "llmApi",
      },
    ],
  },
  apiP95("LLM API time to first token p95, by consumer", genAi.ttftBucket),
  apiP95("LLM API request duration p95, by consumer", genAi.requestDurationBucket),
  {
    title: "KV-cache usage",
    unit: "percentunit",
    targets: [{ expr: `max by (${byVersion}, pod) (${vllm.kvCacheUsage}{${model}})`, legendFormat: "{{pod}} {{version}}", needs: "vllm" }],
  },
  {
    title: "GPU utilization",
    unit: "percent",
    targets: [{ expr: gpusOfModel(dcgm.gpuUtil), legendFormat: "{{pod}} GPU {{gpu}}", needs: "vllm" }],
  },
  {
    title: "GPU memory used",
    unit: "decmbytes",
    targets: [{ expr: gpusOfModel(dcgm.framebufferUsed), legendFormat: "{{pod}} GPU {{gpu}}", needs: "vllm" }],
  },
];

/** The panels with only the targets whose engine the stack serves; panels left empty are dropped. */
export function servedPanels(sources: ServingSources = vllmOnly): Panel[] {
  const llamacpp = sources.llamacpp.length > 0;
  const served = {
    vllm: sources.vllm,
    llamacpp,
    "ingress-nginx": llamacpp && sources.frontDoor?.implementation === "ingress-nginx",
    "envoy-gateway": llamacpp && sources.frontDoor?.implementation === "envoy-gateway",
    llmApi: sources.llmApi === true,
    evaluation: sources.evaluation === true,
  };
  return llmPanels
    .map((panel) => ({ ...panel, targets: panel.targets.filter((target) => served[target.needs]) }))
    .filter((panel) => panel.targets.length > 0);
}

/** The Grafana dashboard model (schema of Grafana 10+). Pure: the same input gives the same JSON. */
export function llmDashboard(sources: ServingSources = vllmOnly): Record<string, unknown> {
  // The model picker lists the models of every engine served: both report model_name.
  const running = [...(sources.vllm ? [vllm.requestsRunning] : []), ...(sources.llamacpp.length > 0 ? [llamacpp.requestsProcessing] : [])];
  const modelsQuery = `label_values(${running.length === 1 ? running[0] : `{__name__=~"${running.join("|")}"}`}, model_name)`;
  return {
    uid: "llm-serving",
    title: "LLM serving",
    tags: ["llm-platform", ...(sources.vllm ? ["vllm"] : []), ...(sources.llamacpp.length > 0 ? ["llama.cpp"] : [])],
    timezone: "browser",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          type: "datasource",
          query: "prometheus",
          label: "Data source",
        },
        {
          name: "model_name",
          label: "Model",
          type: "query",
          datasource: { type: "prometheus", uid: "${datasource}" },
          query: { query: modelsQuery, refId: "model_name" },
          definition: modelsQuery,
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: ".+",
        },
      ],
    },
    panels: servedPanels(sources).map((panel, index) => ({
      id: index + 1,
      type: "timeseries",
      title: panel.title,
      datasource: { type: "prometheus", uid: "${datasource}" },
      gridPos: { x: (index % 2) * 12, y: Math.floor(index / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      targets: panel.targets.map((target, targetIndex) => ({
        refId: String.fromCharCode(65 + targetIndex),
        expr: target.expr,
        legendFormat: target.legendFormat,
      })),
    })),
  };
}

export interface LlmDashboardArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  /** The engines served. @default vLLM only */
  readonly sources?: ServingSources;
}

/** The LLM serving dashboard as a ConfigMap, picked up by Grafana's dashboard sidecar. */
export class LlmDashboard extends pulumi.ComponentResource {
  readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: LlmDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:LlmDashboard", name, {}, opts);
    this.configMap = new k8s.core.v1.ConfigMap(
      `${name}-configmap`,
      {
        metadata: { name: "llm-serving-dashboard", namespace: args.namespace, labels: { ...dashboardLabel } },
        data: { "llm-serving.json": JSON.stringify(llmDashboard(args.sources), null, 2) },
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({});
  }
}
