import type { FrontDoorImplementation } from "../ingress/types";

/**
 * Metric names and histogram buckets the dashboard and alerts query, as vLLM (v1 engine,
 * vllm/v1/metrics/loggers.py), the llama.cpp server (tools/server, `--metrics`), the front door
 * (ingress-nginx, or the Envoy proxies of Envoy Gateway) and NVIDIA's dcgm-exporter
 * (default-counters.csv) export them. Tests check that no query uses a name outside these lists.
 */

export const vllmMetrics = {
  requestsRunning: "vllm:num_requests_running",
  requestsWaiting: "vllm:num_requests_waiting",
  kvCacheUsage: "vllm:kv_cache_usage_perc",
  /** Counter labelled `finished_reason`: stop, length, abort, error, repetition. */
  requestSuccess: "vllm:request_success_total",
  promptTokens: "vllm:prompt_tokens_total",
  generationTokens: "vllm:generation_tokens_total",
  ttftBucket: "vllm:time_to_first_token_seconds_bucket",
  ttftCount: "vllm:time_to_first_token_seconds_count",
  interTokenLatencyBucket: "vllm:inter_token_latency_seconds_bucket",
  e2eLatencyBucket: "vllm:e2e_request_latency_seconds_bucket",
  /** Histograms of each request's prompt and generated token counts (base names; queries add _sum, _count). */
  requestPromptTokens: "vllm:request_prompt_tokens",
  requestGenerationTokens: "vllm:request_generation_tokens",
} as const;

/**
 * The llama.cpp server's metrics. They carry no labels of their own (no model name, no finish reason)
 * and no histograms, so there is no TTFT or error count: the chart's ServiceMonitor adds `model_name`,
 * and availability comes from the front door.
 */
export const llamacppMetrics = {
  /** Gauge: requests in a slot now. */
  requestsProcessing: "llamacpp:requests_processing",
  /** Gauge: requests waiting for a free slot (the queue). */
  requestsDeferred: "llamacpp:requests_deferred",
  promptTokens: "llamacpp:prompt_tokens_total",
  generationTokens: "llamacpp:tokens_predicted_total",
  /** Gauge: average generation speed (tokens/s) of the recent requests. */
  generationSpeed: "llamacpp:predicted_tokens_seconds",
} as const;

/** The front door's (ingress-nginx controller's) per-Ingress request counter, labelled `ingress` and `status`. */
export const frontDoorMetrics = {
  requests: "nginx_ingress_controller_requests",
} as const;

/**
 * The Envoy proxies' per-cluster stats (`/stats/prometheus`, every counter including zeros), labelled
 * `envoy_cluster_name`. Envoy Gateway gives each HTTPRoute rule its own cluster (envoyRouteCluster).
 */
export const envoyMetrics = {
  /**
   * Responses per class, label `envoy_response_code_class` ("1" to "5"). A request whose connection to
   * the backend fails is charged as a 503 too, so a model at zero replicas still counts its requests.
   */
  responses: "envoy_cluster_upstream_rq_xx",
  /** Gauge: requests in flight to the cluster, a long stream included. */
  active: "envoy_cluster_upstream_rq_active",
} as const;

/**
 * The LLM API's usage (Envoy AI Gateway v1.1.0's external processor: OpenTelemetry gen_ai metrics in
 * Prometheus form, served on its `aigw-admin` port). Labels `gen_ai_request_model`, `gen_ai_token_type`
 * and `llm_consumer` (the consumer header, mapped by the controller's metricsRequestHeaderAttributes).
 */
export const genAiMetrics = {
  tokenUsageSum: "gen_ai_client_token_usage_sum",
  ttftBucket: "gen_ai_server_time_to_first_token_seconds_bucket",
  requestDurationBucket: "gen_ai_server_request_duration_seconds_bucket",
} as const;

/** The OpenTelemetry attribute the consumer header is mapped to, and the label Prometheus gets (dots to underscores). */
export const consumerAttribute = "llm.consumer";
export const consumerLabel = consumerAttribute.replaceAll(".", "_");

/** Envoy Gateway's cluster for an HTTPRoute's rule (internal/gatewayapi irRouteDestinationName, v1.9.0). */
export const envoyRouteCluster = (namespace: string, route: string, rule = 0) => `httproute/${namespace}/${route}/rule/${rule}`;

export const dcgmMetrics = {
  gpuUtil: "DCGM_FI_DEV_GPU_UTIL",
  framebufferUsed: "DCGM_FI_DEV_FB_USED",
  framebufferFree: "DCGM_FI_DEV_FB_FREE",
  powerUsage: "DCGM_FI_DEV_POWER_USAGE",
} as const;

/** kube-state-metrics (kube-prometheus-stack): how many replicas of each Deployment are available. */
export const kubeStateMetrics = {
  deploymentAvailable: "kube_deployment_status_replicas_available",
  deploymentDesired: "kube_deployment_spec_replicas",
  /** Labels condition, status and (kube-state-metrics 2.20) reason, the controller's reason for it. */
  deploymentCondition: "kube_deployment_status_condition",
} as const;

/**
 * The scheduled evaluation's score per model version (0 to 1): the evaluation CronWorkflow's custom
 * gauge, labelled `model` and `version`. Argo's exporter prefixes it with `argo_workflows_`; the
 * controller's ServiceMonitor strips that again (components/gitops/argo-workflows.ts).
 */
export const evaluationMetrics = {
  score: "llm_platform_eval_score",
} as const;

/** Every metric name a dashboard panel or alert may query. */
export const knownMetricNames: ReadonlySet<string> = new Set([
  ...Object.values(vllmMetrics),
  ...[vllmMetrics.requestPromptTokens, vllmMetrics.requestGenerationTokens].flatMap((histogram) => [`${histogram}_sum`, `${histogram}_count`]),
  ...Object.values(llamacppMetrics),
  ...Object.values(frontDoorMetrics),
  ...Object.values(envoyMetrics),
  ...Object.values(genAiMetrics),
  ...Object.values(dcgmMetrics),
  ...Object.values(kubeStateMetrics),
  evaluationMetrics.score,
]);

/** Which engines a stack serves, so that dashboards and alerts query only metrics that can exist. */
export interface ServingSources {
  /** Whether a model runs on vLLM (its series carry model_name and finished_reason). */
  readonly vllm: boolean;
  /** Served names of the llama.cpp models. */
  readonly llamacpp: readonly string[];
  /**
   * Which front door counts the models' requests, and the serving namespace its series name them by
   * (ingress-nginx: `exported_namespace` once scraped, since the target's own namespace wins; Envoy:
   * inside the cluster name). Absent when the stack has no ingress or its metrics are not scraped.
   */
  readonly frontDoor?: FrontDoorSource;
  /** Whether the LLM API (Envoy AI Gateway) runs and its usage metrics are scraped. @default false */
  readonly llmApi?: boolean;
  /** Whether the scheduled evaluation can report scores (Argo Workflows runs). @default false */
  readonly evaluation?: boolean;
}

/** Where the front door counts each model's requests. */
export interface FrontDoorSource {
  readonly implementation: FrontDoorImplementation;
  readonly namespace: string;
  /** Whether each model has its own host, whose Ingress or HTTPRoute is named after it. @default true */
  readonly modelRoutes?: boolean;
  /**
   * Envoy only: the LLM API's AIGatewayRoute (in `namespace`) and the model each of its rules serves,
   * in rule order (a model with a canary has more than one rule: llmRouteRules). The AI gateway turns
   * it into an HTTPRoute of the same name with the same rules (and a last one without a backend for
   * unknown models), so Envoy Gateway counts rule i on cluster `.../rule/i`.
   */
  readonly llmApiRoute?: { readonly name: string; readonly models: readonly string[] };
}

/** What a stack with only vLLM models serves (the default of the pure builders). */
export const vllmOnly: ServingSources = { vllm: true, llamacpp: [] };

/**
 * The front door's request rate of some models (the llama.cpp ones unless `models` says otherwise), with
 * the model as `model_name` so it joins vLLM's series: ingress-nginx names the Ingress, Envoy the route's
 * cluster, each after the model; the LLM API's rule i counts for its model i (`FrontDoorSource.llmApiRoute`).
 * `errorsOnly` keeps 5xx answers. `fn` is `rate` or `increase`.
 */
export function frontDoorRate(
  sources: ServingSources,
  range: string,
  options: { readonly models?: readonly string[]; readonly errorsOnly?: boolean; readonly fn?: "rate" | "increase" } = {},
): string {
  const models = options.models ?? sources.llamacpp;
  const names = models.join("|");
  const { implementation, namespace, modelRoutes = true, llmApiRoute } = sources.frontDoor!;
  const fn = options.fn ?? "rate";
  if (implementation === "envoy-gateway") {
    const responses = (cluster: string) =>
      `${fn}(${envoyMetrics.responses}{envoy_cluster_name${cluster}${options.errorsOnly ? ', envoy_response_code_class="5"' : ""}}[${range}])`;
    const ownRoutes = `label_replace(${responses(`=~"${envoyRouteCluster(namespace, `(?:${names})`)}"`)}, "model_name", "$1", "envoy_cluster_name", "${envoyRouteCluster(namespace, "(.*)")}")`;
    // One selector per model: its rules' clusters are named by the rules' indexes, not by the model.
    const ruleClusters = (model: string) =>
      (llmApiRoute?.models ?? []).flatMap((ruleModel, rule) => (ruleModel === model ? [envoyRouteCluster(namespace, llmApiRoute!.name, rule)] : []));
    const apiRules = models
      .filter((model) => ruleClusters(model).length > 0)
      .map((model) => {
        const clusters = ruleClusters(model);
        const selector = clusters.length === 1 ? `="${clusters[0]}"` : `=~"${clusters.join("|")}"`;
        return `label_replace(${responses(selector)}, "model_name", "${model}", "envoy_cluster_name", ".*")`;
      });
    // The series stay apart under `or` (their cluster names differ), so the sum adds both doors up.
    const counted = [...(modelRoutes ? [ownRoutes] : []), ...apiRules];
    if (counted.length === 0) throw new Error(`no Envoy route counts the requests of ${names}`);
    return `sum by (model_name) (${counted.join(" or ")})`;
  }
  const selector = `${frontDoorMetrics.requests}{exported_namespace="${namespace}", ingress=~"${names}"${options.errorsOnly ? ', status=~"5.."' : ""}}`;
  return `sum by (model_name) (label_replace(${fn}(${selector}[${range}]), "model_name", "$1", "ingress", "(.*)"))`;
}

/**
 * `le` boundaries of vLLM's `vllm:time_to_first_token_seconds` histogram. A TTFT threshold must be one
 * of them: a histogram can only count "requests faster than X" exactly at a bucket boundary.
 */
export const vllmTtftBuckets = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
] as const;

/** Prometheus renders bucket boundaries in Go's float format: 1 → "1.0", 2.5 → "2.5". */
export function leLabel(bound: number): string {
  return Number.isInteger(bound) ? bound.toFixed(1) : String(bound);
}
