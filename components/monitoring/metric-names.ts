/**
 * Metric names and histogram buckets the dashboard and alerts query, as vLLM (v1 engine,
 * vllm/v1/metrics/loggers.py) and NVIDIA's dcgm-exporter (default-counters.csv) export them.
 * Tests check that no query uses a name outside these lists.
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
} as const;

export const dcgmMetrics = {
  gpuUtil: "DCGM_FI_DEV_GPU_UTIL",
  framebufferUsed: "DCGM_FI_DEV_FB_USED",
  framebufferFree: "DCGM_FI_DEV_FB_FREE",
  powerUsage: "DCGM_FI_DEV_POWER_USAGE",
} as const;

/** The front door (ingress-nginx 1.15) counts every response it sends, by ingress, service and status. */
export const ingressMetrics = {
  /** Counter labelled `namespace`, `ingress`, `service`, `status` (and host, method, path). */
  requests: "nginx_ingress_controller_requests",
} as const;

/** kube-state-metrics (kube-prometheus-stack): how many replicas of each Deployment are available. */
export const kubeStateMetrics = {
  deploymentAvailable: "kube_deployment_status_replicas_available",
  deploymentDesired: "kube_deployment_spec_replicas",
} as const;

/** Every metric name a dashboard panel or alert may query. */
export const knownMetricNames: ReadonlySet<string> = new Set([
  ...Object.values(vllmMetrics),
  ...Object.values(dcgmMetrics),
  ...Object.values(ingressMetrics),
  ...Object.values(kubeStateMetrics),
]);

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
