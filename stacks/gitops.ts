import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import { ArgoCd } from "../components/gitops/argo-cd";
import { ModelEvaluation } from "../components/gitops/evaluation";
import { argoWorkflowsConventions, ArgoWorkflows } from "../components/gitops/argo-workflows";
import { Mlflow } from "../components/gitops/mlflow";
import { MlPipeline } from "../components/gitops/ml-pipeline";
import type { IngressLayer } from "../components/ingress/types";
import type { MonitoringLayer } from "../components/monitoring/types";
import { servingPort, servingServiceName } from "../components/serving/llm-serving";
import type { LoadedConfig } from "./config";
import { evaluationEnabled, mlflowEnabled } from "./config/addons";
import { modelReleases } from "./config/canary";
import { servingConventions } from "./serving";
import type { PlatformOutputs } from "./platform";

/** Namespaces the GitOps add-ons fix. */
export const gitopsConventions = {
  argocdNamespace: "argocd",
  workflowsNamespace: "argo",
  pipelineNamespace: "ml-pipelines",
} as const;

/**
 * Argo CD, Argo Workflows and the ML pipeline. They wait on nothing but the cluster, except the
 * WorkflowTemplates (on the Argo Workflows CRDs) and the root Application (on Argo CD).
 */
export function createGitops(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  layers: {
    ingress: IngressLayer | undefined;
    /** The serving namespace, when this stack serves models; the pipeline's deploy Role lives there. */
    servingNamespace: k8s.core.v1.Namespace | undefined;
    /** The models' API key (secret), for the scheduled evaluation. */
    servingApiKey?: pulumi.Output<string>;
    monitoring?: MonitoringLayer;
  },
  opts: pulumi.ComponentResourceOptions,
): PlatformOutputs {
  const { ingress } = layers;
  const { argocd, argoWorkflows } = config.addons;
  const outputs: PlatformOutputs = {};
  const exposed = ingress ? { ingress } : {};
  if (argocd.enabled) {
    const argo = new ArgoCd(
      `${name}-argocd`,
      { provider: cluster.provider, namespace: gitopsConventions.argocdNamespace, ...exposed, ...(argocd.appOfApps ? { appOfApps: argocd.appOfApps } : {}) },
      opts,
    );
    outputs.argocdUrl = argo.url ?? pulumi.output(null);
    outputs.argocdAdminPassword = argo.adminPassword;
  }
  // Config validation guarantees a cloud bucket when the registry is on.
  const registry = mlflowEnabled(config.addons) && cluster.objectStore
    ? new Mlflow(
        `${name}-mlflow`,
        {
          provider: cluster.provider,
          identity: cluster.identity,
          objectStore: cluster.objectStore,
          storageClassName: cluster.storageClassName,
          databaseStorageGiB: config.addons.mlflow.databaseStorageGiB,
          // The serving pods resolve registry references (models[].registry) when they start.
          clientNamespaces: [gitopsConventions.pipelineNamespace, ...(config.models.some((model) => model.registry) ? [servingConventions.namespace] : [])],
          ...exposed,
        },
        opts,
      )
    : undefined;
  if (registry) {
    outputs.mlflowUrl = registry.url ?? pulumi.output(null);
    if (registry.password) outputs.mlflowPassword = pulumi.secret(registry.password);
  }
  if (argoWorkflows.enabled) {
    const workflows = new ArgoWorkflows(
      `${name}-workflows`,
      {
        provider: cluster.provider,
        identity: cluster.identity,
        ...(cluster.objectStore ? { objectStore: cluster.objectStore } : {}),
        ...exposed,
        namespace: gitopsConventions.workflowsNamespace,
        workflowNamespace: gitopsConventions.pipelineNamespace,
        ...(layers.monitoring ? { monitoringCrds: layers.monitoring.crds } : {}),
      },
      opts,
    );
    const targets = evaluationTargets(config);
    if (evaluationEnabled(config.addons) && layers.servingApiKey && targets.length > 0) {
      const { schedule, timezone, concurrencyPolicy } = config.addons.evaluation;
      new ModelEvaluation(
        `${name}-evaluation`,
        {
          provider: cluster.provider,
          namespace: gitopsConventions.pipelineNamespace,
          serviceAccount: argoWorkflowsConventions.runnerServiceAccount,
          schedule,
          timezone,
          concurrencyPolicy,
          targets,
          apiKey: layers.servingApiKey,
          workflowsRelease: workflows.release,
          ...(registry ? { trackingUri: registry.trackingUri } : {}),
        },
        opts,
      );
    }
    outputs.argoWorkflowsUrl = workflows.url ?? pulumi.output(null);
    // Config validation guarantees a GPU pool and object storage when the pipeline is on.
    const gpuPool = cluster.gpuPools[0];
    if (argoWorkflows.pipeline && gpuPool && cluster.objectStore) {
      new MlPipeline(
        `${name}-pipeline`,
        {
          provider: cluster.provider,
          workflowsRelease: workflows.release,
          namespace: workflows.workflowNamespace,
          runnerServiceAccount: argoWorkflowsConventions.runnerServiceAccount,
          gpu: gpuPool.scheduling,
          objectStore: cluster.objectStore,
          servedModels: config.models,
          // Without models there is no serving namespace: no deploy rights, and deploy says why it cannot run.
          ...(layers.servingNamespace
            ? { servingNamespace: servingConventions.namespace, servingNamespaceResource: layers.servingNamespace }
            : {}),
          ...(config.secrets.notifyWebhookUrl ? { notifyWebhookUrl: config.secrets.notifyWebhookUrl } : {}),
          ...(config.secrets.hfToken ? { hfToken: config.secrets.hfToken } : {}),
          ...(registry ? { trackingUri: registry.trackingUri } : {}),
        },
        opts,
      );
    }
  }
  return outputs;
}

/**
 * The model versions the scheduled evaluation scores: each release of each served model (unless its
 * evaluation is off), the stable one and a canary alike, reached at its own Service inside the cluster,
 * so that their scores sit side by side under the versions' names.
 */
export function evaluationTargets(config: Pick<LoadedConfig, "models">) {
  return config.models
    .filter((model) => model.evaluation?.enabled !== false)
    .flatMap((model) =>
      modelReleases(model).map(({ release, version }) => ({
        model: model.name,
        version,
        baseUrl: `http://${servingServiceName(release.name)}.${servingConventions.namespace}.svc.cluster.local:${servingPort}`,
        ...(model.registry ? { registry: model.registry } : {}),
      })),
    );
}
