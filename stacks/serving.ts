import type * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import type { IngressLayer } from "../components/ingress/types";
import type { MonitoringLayer } from "../components/monitoring/types";
import { Keda } from "../components/serving/keda";
import { LlmApi, llmRouteName } from "../components/serving/llm-api";
import { llmRouteTimeoutSeconds, LlmServing, servingApiKeySecret, servingPort, servingServiceName } from "../components/serving/llm-serving";
import { evaluationPodLabels } from "../components/gitops/evaluation";
import { mlflowTrackingUri } from "../components/gitops/mlflow";
import { llmRouteRules, type LlmModelVersion } from "../components/ingress/ai-gateway-manifests";
import { gpuPoolCapacities, type LoadedConfig } from "./config";
import { evaluationEnabled, mlflowEnabled } from "./config/addons";
import { modelReleases, poolGpuDemand, type ServedRelease } from "./config/canary";
import { gitopsConventions } from "./gitops";
import { llmApiEnabled, llmApiService } from "./ingress";

/** Where the serving releases run; the pipeline's deploy step patches Deployments there. */
export const servingConventions = { namespace: "llm-serving" } as const;

/**
 * Installs one LLM serving release per configured model (and KEDA when one autoscales), and behind the
 * Gateway the one LLM API in front of them; undefined without models.
 */
export function createServing(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  layers: { ingress?: IngressLayer; monitoring?: MonitoringLayer },
  opts: pulumi.ComponentResourceOptions,
): { serving: LlmServing; api?: LlmApi } | undefined {
  if (config.models.length === 0) return undefined;
  const releases = servingReleases(config.models);
  const autoscales = releases.some((model) => model.maxReplicas > model.minReplicas);
  const keda = autoscales ? new Keda(`${name}-keda`, { provider: cluster.provider }, opts) : undefined;
  const { ingress } = layers;
  const withApi = llmApiEnabled(config) && ingress?.gateway !== undefined && ingress.aiGatewayCrds !== undefined;
  const serving = new LlmServing(
    `${name}-llm`,
    {
      cluster,
      models: releases.map((model) => ({ ...model, rolloutSurge: hasRoomToSurge(config, model) })),
      hfToken: config.secrets.hfToken,
      ingress: layers.ingress,
      monitoring: layers.monitoring,
      keda: keda?.release,
      namespace: servingConventions.namespace,
      // Behind the Gateway the models are reached only through the LLM API, with a consumer's key: a
      // host per model with the models' shared key would bypass the consumers' keys and budgets.
      ...(withApi ? { llmApiRoute: llmRouteName, modelHosts: false } : {}),
      ...(mlflowEnabled(config.addons) ? { registryTrackingUri: mlflowTrackingUri() } : {}),
      // The scheduled evaluation calls each model at its Service, from the pipeline namespace.
      ...(evaluationEnabled(config.addons)
        ? { clientPeers: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": gitopsConventions.pipelineNamespace } }, podSelector: { matchLabels: { ...evaluationPodLabels } } }] }
        : {}),
    },
    opts,
  );
  if (!withApi) return { serving };
  const host = ingress.host(llmApiService);
  const api = new LlmApi(
    `${name}-llm-api`,
    {
      provider: cluster.provider,
      namespace: servingConventions.namespace,
      gateway: { name: ingress.gateway!.name, namespace: ingress.gateway!.namespace, sectionName: ingress.gateway!.listener(host) },
      host,
      backends: releases.map((model) => ({ name: model.name, service: servingServiceName(model.name), port: servingPort })),
      models: config.models.map((model) => model.name),
      versions: llmApiVersions(config.models),
      modelKeySecret: servingApiKeySecret,
      consumers: config.serving.consumers.map(({ name: consumer, ...budget }) => ({ consumer, ...budget })),
      requestTimeoutSeconds: llmRouteTimeoutSeconds,
      dependsOn: [ingress.ready, ingress.aiGatewayCrds!, serving.namespace, serving.apiKeySecret],
      // A canary's share of the traffic waits for its (atomic) release to be ready: a route updated in
      // seconds would send it requests through its whole download and load, each a 503. The stable
      // versions are not waited for: on a first deploy the API would wait for every model's load, and a
      // stable release's own rollout keeps serving (or, from zero, its activation wakes it).
      routeDependsOn: releases.filter((release) => release.name !== release.servedName).map((release) => serving.releases[release.name]!),
    },
    opts,
  );
  return { serving, api };
}

/** The versions of each model with a canary, as the LLM API routes them. Pure. */
export function llmApiVersions(models: LoadedConfig["models"]): Record<string, LlmModelVersion[]> {
  return Object.fromEntries(
    models
      .filter((model) => model.canary)
      .map((model) => [model.name, modelReleases(model).map(({ release, version, weight }) => ({ version, backend: release.name, weight }))]),
  );
}

/**
 * One serving release per version of each model, in config order (a model's, then its canary's), each
 * serving the model's name, labelled with its version, and woken by the LLM API rules that send to it
 * (whatever their weight: a version at 0 stays warm for a rollback). Pure.
 */
export function servingReleases(models: LoadedConfig["models"]): (ServedRelease & { servedName: string; version: string; llmApiRules: number[] })[] {
  const rules = llmRouteRules(models.map((model) => model.name), llmApiVersions(models));
  return models.flatMap((model) =>
    modelReleases(model).map(({ release, version }) => ({
      ...release,
      servedName: model.name,
      version,
      llmApiRules: rules.flatMap((rule, index) => (rule.backendRefs.some((ref) => ref.name === release.name) ? [index] : [])),
    })),
  );
}

/**
 * Whether the model's GPU pool can hold one pod more than its most replicas, with every other release
 * on the pool at its most too (a canary's sibling version, another model): then a rollout starts the
 * new pod beside the old one (maxSurge 1, maxUnavailable 0) and no replica stops serving. Otherwise a
 * surge pod could stay Pending forever, so the rollout replaces pods one at a time. A single-replica
 * model keeps its weights on one ReadWriteOnce claim, which a surge pod on another node cannot attach:
 * it rolls one pod at a time too (give it maxReplicas 2 to roll without a gap).
 */
export function hasRoomToSurge(config: LoadedConfig, model: LoadedConfig["models"][number]): boolean {
  if (model.engine !== "vllm" || model.gpuPool === undefined || model.maxReplicas < 2) return false;
  const pool = gpuPoolCapacities(config.cluster).find((candidate) => candidate.name === model.gpuPool);
  if (!pool || pool.gpusPerNode <= 0) return false;
  const podsAlone = Math.floor(pool.gpusPerNode / model.gpuCount) * pool.maxNodes >= model.maxReplicas + 1;
  return podsAlone && poolGpuDemand(config.models, pool.name) + model.gpuCount <= pool.maxNodes * pool.gpusPerNode;
}
