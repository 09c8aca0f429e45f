import * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import type { FrontDoorImplementation, IngressLayer } from "../components/ingress/types";
import { DcgmExporter, gkeNvidiaDriverHostPath } from "../components/monitoring/dcgm-exporter";
import { KubePrometheusStack } from "../components/monitoring/kube-prometheus-stack";
import { LlmAlertRules } from "../components/monitoring/llm-alert-rules";
import { LlmDriftRules } from "../components/monitoring/drift-rules";
import { LlmEvaluationRules } from "../components/monitoring/evaluation-rules";
import { LlmDashboard } from "../components/monitoring/llm-dashboard";
import { PrometheusOperatorCrds } from "../components/monitoring/prometheus-operator-crds";
import type { ServingSources } from "../components/monitoring/metric-names";
import { llmRouteRules } from "../components/ingress/ai-gateway-manifests";
import type { MonitoringLayer } from "../components/monitoring/types";
import { llmRouteName } from "../components/serving/llm-api";
import type { LoadedConfig } from "./config";
import { evaluationEnabled } from "./config/addons";
import { llmApiVersions, servingConventions, servingReleases } from "./serving";

/** Names the monitoring stack fixes; NetworkPolicies and the KEDA scaler rely on them. */
export const monitoringConventions = {
  namespace: "monitoring",
  prometheusService: "kube-prometheus-stack-prometheus",
  prometheusPodLabels: { "app.kubernetes.io/name": "prometheus" },
} as const;

/** Installs the Prometheus Operator CRDs and returns the layer workloads use, or undefined when off. */
export function createMonitoringLayer(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  opts: pulumi.ComponentResourceOptions,
): MonitoringLayer | undefined {
  if (!config.addons.monitoring.enabled) return undefined;
  const crds = new PrometheusOperatorCrds(`${name}-prometheus-crds`, { provider: cluster.provider }, opts);
  const { namespace, prometheusService, prometheusPodLabels } = monitoringConventions;
  return {
    crds: crds.release,
    prometheusUrl: `http://${prometheusService}.${namespace}.svc:9090`,
    prometheusNamespace: namespace,
    prometheusPodLabels,
  };
}

/**
 * Prometheus, Alertmanager and Grafana, GPU metrics, the LLM dashboard and alert rules, on top of the
 * layer. Monitors and rules wait only on the CRDs; the dashboard waits on nothing but its namespace.
 */
export function createMonitoring(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  layer: MonitoringLayer,
  ingress: IngressLayer | undefined,
  opts: pulumi.ComponentResourceOptions,
): Record<string, pulumi.Output<unknown>> {
  const settings = config.addons.monitoring;
  const stack = new KubePrometheusStack(
    `${name}-monitoring`,
    {
      provider: cluster.provider,
      namespace: layer.prometheusNamespace,
      fullname: monitoringConventions.prometheusService.replace(/-prometheus$/, ""),
      crds: layer.crds,
      storageClassName: cluster.storageClassName,
      retentionDays: settings.retentionDays,
      prometheusStorageGiB: settings.prometheusStorageGiB,
      alertmanagerStorageGiB: settings.alertmanagerStorageGiB,
      ingress,
      notifyWebhookUrl: config.secrets.notifyWebhookUrl,
      // GKE admits node-critical pods outside kube-system only under a quota for them.
      criticalPodsNeedQuota: config.cluster.provider === "gke",
    },
    opts,
  );
  const namespace = stack.namespace.metadata.name;
  if (cluster.gpuPools.length > 0) {
    new DcgmExporter(
      `${name}-dcgm`,
      {
        provider: cluster.provider,
        namespace,
        gpuPools: cluster.gpuPools,
        crds: layer.crds,
        // GKE's GPU nodes run Container-Optimized OS, where the driver is only on the host; GKE also
        // admits node-critical pods outside kube-system only under a quota for them.
        ...(config.cluster.provider === "gke" ? { nvidiaDriverHostPath: gkeNvidiaDriverHostPath, criticalPodsNeedQuota: true } : {}),
      },
      opts,
    );
  }
  // The scores exist only where the scheduled evaluation runs.
  const evaluation = evaluationEnabled(config.addons) && config.models.length > 0;
  const sources = { ...servingSources(config, ingress?.implementation, ingress?.aiGatewayCrds !== undefined), ...(evaluation ? { evaluation } : {}) };
  new LlmDashboard(`${name}-llm-dashboard`, { provider: cluster.provider, namespace, sources }, opts);
  new LlmAlertRules(
    `${name}-llm-alerts`,
    {
      provider: cluster.provider,
      namespace,
      slo: settings.slo,
      // Every release: a canary's Deployment is watched under its own name too.
      served: {
        namespace: servingConventions.namespace,
        names: servingReleases(config.models).map((release) => release.name),
        versions: Object.fromEntries(servingReleases(config.models).map((release) => [release.name, { model: release.servedName, version: release.version }])),
      },
      sources,
      crds: layer.crds,
    },
    opts,
  );
  // Drift needs vLLM's per-request histograms: llama.cpp models have none.
  if (settings.drift.enabled && config.models.some((model) => model.engine === "vllm")) {
    const { shortWindow, baselineWindow, promptTokensRatio, completionTokensRatio, errorRateIncrease, ttftRatio, minRequests } = settings.drift;
    const thresholds = { promptTokensRatio, completionTokensRatio, errorRateIncrease, ttftRatio, minRequests };
    // A model's own thresholds (models[].drift) over the stack's, each key falling back to the stack's.
    const models = config.models
      .filter((model) => model.engine === "vllm" && model.drift !== undefined)
      .map((model) => ({ model: model.name, thresholds: { ...thresholds, ...model.drift } }));
    new LlmDriftRules(
      `${name}-llm-drift`,
      { provider: cluster.provider, namespace, thresholds, models, windows: { short: shortWindow, baseline: baselineWindow }, crds: layer.crds },
      opts,
    );
  }
  if (evaluationEnabled(config.addons) && config.models.length > 0) {
    const { minScore, maxDropFromBaseline } = config.addons.evaluation;
    const models = config.models.flatMap((model) => (model.evaluation?.minScore === undefined ? [] : [{ model: model.name, minScore: model.evaluation.minScore }]));
    new LlmEvaluationRules(`${name}-llm-evaluation`, { provider: cluster.provider, namespace, thresholds: { minScore, maxDropFromBaseline }, models, crds: layer.crds }, opts);
  }
  return {
    grafanaUrl: pulumi.output(stack.grafanaUrl ?? null),
    grafanaAdminPassword: stack.grafanaAdminPassword,
  };
}

/**
 * The engines the stack's models run on, so that the dashboard and alerts read only metrics that can
 * exist. A stack without models keeps the vLLM views, ready for the first model. The front door's
 * metrics (ingress-nginx's, or the Envoy proxies') are scraped whenever ingress and monitoring are both on.
 * With the LLM API the models are counted on its route's rules, and have no route of their own
 * (stacks/serving.ts).
 */
export function servingSources(config: Pick<LoadedConfig, "models">, frontDoor: FrontDoorImplementation | undefined, llmApi = false): ServingSources {
  const llamacpp = config.models.filter((model) => model.engine === "llamacpp").map((model) => model.name);
  const rules = llmRouteRules(config.models.map((model) => model.name), llmApiVersions(config.models));
  const apiRoute = llmApi ? { modelRoutes: false, llmApiRoute: { name: llmRouteName, models: rules.map((rule) => rule.model) } } : {};
  return {
    vllm: config.models.length === 0 || config.models.some((model) => model.engine === "vllm"),
    llamacpp,
    ...(frontDoor ? { frontDoor: { implementation: frontDoor, namespace: servingConventions.namespace, ...apiRoute } } : {}),
    ...(llmApi ? { llmApi } : {}),
  };
}
