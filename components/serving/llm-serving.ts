import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { priorityClass } from "../addons/priority-class";
import * as random from "@pulumi/random";
import { podSecurityLabels } from "../addons/pod-security";
import { gpuPoolNamed, type PlatformCluster } from "../cluster/types";
import { backendApiKeyField } from "../ingress/ai-gateway-manifests";
import { gatewayRoute, helmName, usesIngressObjects } from "../ingress/route";
import type { IngressLayer } from "../ingress/types";
import type { MonitoringLayer } from "../monitoring/types";
import { HubWeightsSync } from "./weights-sync";
import { frontDoorActivationQuery, longestRequestSeconds, perPodCache, secretsDigest, servingPlan, servingPriority, servingValues, type ServedModel, type ServingExposure } from "./values";

/**
 * The chart as the Release input names it. Relative, so that the input (and the state) is the same on
 * every machine: the Kubernetes provider resolves it against its working directory, which Pulumi sets
 * to the project directory (where Pulumi.yaml is), wherever `pulumi up` is started from.
 */
export const servingChart = "./charts/llm-serving";
const chartDirectory = join(__dirname, "..", "..", "charts", "llm-serving");

/**
 * sha256 over the chart's files. The provider diffs a Release on its inputs only, so a template
 * change without a chart version bump would never be rolled out (pulumi-kubernetes#2118); the
 * digest in `description` makes every chart change an update.
 */
export function chartDigest(directory = chartDirectory): string {
  const files = (readdirSync(directory, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(relative(directory, file)).update("\0").update(readFileSync(file)).update("\0");
  return hash.digest("hex").slice(0, 16);
}

export interface LlmServingModel extends ServedModel {
  /** Name of the GPU pool (PlatformCluster.gpuPools) a vLLM model runs on; absent for a CPU (llama.cpp) model. */
  readonly gpuPool?: string;
  /** The rules of the LLM API's route (`llmApiRoute`) that send to this release, which wake it from zero. @default none */
  readonly llmApiRules?: readonly number[];
}

export interface LlmServingArgs {
  readonly cluster: PlatformCluster;
  readonly models: readonly LlmServingModel[];
  /** Secret Hugging Face token for gated models. */
  readonly hfToken?: pulumi.Input<string>;
  /** Lets the front door's proxies reach the models, and exposes each at `https://<model>.api.<domain>/v1` unless `modelHosts` is false; without it the API stays in-cluster. */
  readonly ingress?: IngressLayer;
  /**
   * Whether each model gets its own public host, open to the models' shared key. False behind the
   * Gateway with the LLM API: such a host would bypass the consumers' keys and budgets. @default true
   */
  readonly modelHosts?: boolean;
  /** Scraping, and the Prometheus the autoscaler reads; required when a model autoscales. */
  readonly monitoring?: MonitoringLayer;
  /** The KEDA release; required when a model autoscales (its ScaledObject CRD). */
  readonly keda?: pulumi.Resource;
  /** @default "llm-serving" */
  readonly namespace?: string;
  /** Seconds Helm waits for a release to be ready. @default computed from the model's weights (components/serving/cold-start.ts) */
  readonly timeoutSeconds?: number;
  /** Throughput of the model cache volumes, which caps Hub downloads and bucket copies. @default the cluster's model cache storage, else gp3's baseline */
  readonly cacheVolumeMiBps?: number;
  /**
   * The LLM API's AIGatewayRoute in the namespace, when the stack has one: the requests of a model's
   * rules (`llmApiRules`) wake it at zero as well. @default none
   */
  readonly llmApiRoute?: string;
  /** The model registry's in-cluster tracking URI: models with `registry` resolve their version there. */
  readonly registryTrackingUri?: string;
  /** NetworkPolicy peers that may call every model in-cluster (the scheduled evaluation's pods). @default none */
  readonly clientPeers?: readonly Record<string, unknown>[];
}

/** The Service the llm-serving chart makes for a model (its fullname: `fullnameOverride` is the model's name), and its port. */
export const servingServiceName = (model: string) => helmName(model);
export const servingPort = 8000;
/** The Secret holding the models' own API key, in the serving namespace. */
export const servingApiKeySecret = "llm-api-key";

/** The LLM routes' request timeout behind the Gateway: the longest completion the platform lets run. */
export const llmRouteTimeoutSeconds = longestRequestSeconds;

/** The public host of a model: one host per model, since vLLM serves the OpenAI API at `/v1`. */
export const modelHost = (ingress: IngressLayer, model: string) => ingress.host(`${model}.api`);

/**
 * One llm-serving release per model, in one namespace, sharing one generated API key. The OpenAI
 * base URL of each model is `https://<model>.api.<domain>/v1` where models have their own hosts.
 */
export class LlmServing extends pulumi.ComponentResource {
  /** The names clients send as "model", one per model (a canary's release serves its model's). */
  readonly servedModels: readonly string[];
  /** OpenAI base URL per model name (empty without ingress). */
  readonly apiUrls: Readonly<Record<string, string>>;
  /** Secret. */
  readonly apiKey: pulumi.Output<string>;
  /** The namespace the releases run in. */
  readonly namespace: k8s.core.v1.Namespace;
  /** The Secret holding the models' key, under `api-key` (the chart) and `apiKey` (the AI gateway). */
  readonly apiKeySecret: k8s.core.v1.Secret;
  readonly releases: Readonly<Record<string, k8s.helm.v3.Release>>;

  constructor(name: string, args: LlmServingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:serving:LlmServing", name, {}, opts);
    const { cluster, ingress, monitoring } = args;
    const k8sOpts = { parent: this, provider: cluster.provider };
    const cacheVolumeMiBps = args.cacheVolumeMiBps ?? cluster.modelCacheStorage?.throughputMiBps;

    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: args.namespace ?? "llm-serving",
          // The chart's pods meet the restricted profile; enforce it so nothing weaker lands here.
          labels: podSecurityLabels("restricted"),
        },
      },
      k8sOpts,
    );
    const ns = namespace.metadata.name;
    this.namespace = namespace;

    // Alphanumeric only: the key travels in an Authorization header and in shell snippets.
    const apiKey = new random.RandomPassword(`${name}-api-key`, { length: 48, special: false }, { parent: this });
    this.apiKey = pulumi.secret(apiKey.result);
    const apiKeySecret = new k8s.core.v1.Secret(
      `${name}-api-key`,
      // The AI gateway reads an upstream key under `apiKey` (its controller's apiKeyInSecret).
      { metadata: { name: servingApiKeySecret, namespace: ns }, type: "Opaque", stringData: { "api-key": this.apiKey, [backendApiKeyField]: this.apiKey } },
      k8sOpts,
    );
    this.apiKeySecret = apiKeySecret;
    const hfTokenSecret = args.hfToken
      ? new k8s.core.v1.Secret(
          `${name}-hf-token`,
          { metadata: { name: "hf-token", namespace: ns }, type: "Opaque", stringData: { token: pulumi.secret(args.hfToken) } },
          k8sOpts,
        )
      : undefined;

    // A one-way digest of the secrets the pods read at start, so that rotating one rolls them. Not a
    // secret itself (SHA-256 of 48 random characters and a token), so the release values stay readable.
    const secretsChecksum = pulumi.unsecret(
      pulumi.all([this.apiKey, args.hfToken ?? ""]).apply(([key, token]) => secretsDigest(key, token)),
    );
    // Serving outranks the pipeline on shared GPU pools: a pending replica may preempt a training pod,
    // never the other way round.
    const priority = priorityClass(
      `${name}-priority`,
      { ...servingPriority, preempts: true, description: "LLM serving replicas: above pipeline steps on the GPU pools." },
      k8sOpts,
    );
    const digest = chartDigest();
    const urls: Record<string, string> = {};
    const releases: Record<string, k8s.helm.v3.Release> = {};
    for (const model of args.models) {
      const autoscale = model.maxReplicas > model.minReplicas;
      if (autoscale && (!monitoring || !args.keda)) {
        throw new Error(`model ${model.name} autoscales, which needs the monitoring layer and KEDA`);
      }
      if (model.minReplicas === 0 && !ingress) {
        throw new Error(`model ${model.name} scales to zero, which needs the ingress layer: its front-door requests wake it`);
      }
      const exposure: ServingExposure | undefined = ingress && (() => {
        const host = modelHost(ingress, model.name);
        const tls = ingress.tls(host);
        return {
          ingressObject: usesIngressObjects(ingress),
          className: ingress.className,
          host,
          tlsSecretName: tls.secretName,
          annotations: tls.annotations,
          controllerNamespace: ingress.controllerNamespace,
          controllerPodLabels: ingress.controllerPodLabels,
        };
      })();
      const ownHost = exposure !== undefined && (args.modelHosts ?? true);
      if (ownHost) urls[model.name] = `https://${exposure.host}/v1`;

      const serviceAccountAnnotations = cluster.identity.grant(
        `${name}-${model.name}-identity`,
        { namespace: args.namespace ?? "llm-serving", serviceAccountName: model.name, bucketAccess: "read" },
        this,
      );
      if (model.weightsFrom === "bucket" && !cluster.objectStore) {
        throw new Error(`model ${model.name} loads weights from the bucket, but the cluster has no object store`);
      }
      const pool = model.gpuPool === undefined ? undefined : gpuPoolNamed(cluster, model.gpuPool);
      // Per-pod caches go on the nodes' NVMe instance store where the pool has one set up.
      const cacheOnNode = pool?.localNvme === true && perPodCache(model);
      const modelCacheMiBps = cacheOnNode ? pool.rootVolumeMiBps : cacheVolumeMiBps;
      if (model.registry !== undefined && (!args.registryTrackingUri || !cluster.objectStore)) {
        throw new Error(`model ${model.name} serves ${model.registry}, which needs the model registry and the cluster's object store`);
      }
      // A registry version has no fixed prefix: its resolver finds it when the pod starts.
      const modelSource = model.weightsFrom === "bucket" && model.registry === undefined ? pulumi.interpolate`${cluster.objectStore!.url}/models/${model.model}` : undefined;

      // Each release waits only on what it uses: its Secrets, and the CRDs of the kinds it ships.
      const dependsOn: pulumi.Resource[] = [apiKeySecret, priority, ...(hfTokenSecret ? [hfTokenSecret] : [])];
      // A vLLM model read from the bucket waits until its weights are there (copied from the Hub once).
      if (modelSource && model.engine === "vllm" && pool !== undefined) {
        const sync = new HubWeightsSync(
          `${name}-${model.name}-sync`,
          {
            model,
            weightsGiB: servingPlan(model, modelCacheMiBps).plan.weightsGiB,
            namespace: args.namespace ?? "llm-serving",
            destination: modelSource,
            objectStore: cluster.objectStore!,
            identity: cluster.identity,
            pool,
            hfTokenSecretName: hfTokenSecret?.metadata.name,
            provider: cluster.provider,
            dependsOn: [namespace, ...(hfTokenSecret ? [hfTokenSecret] : [])],
          },
          // Its first name: the same Kubernetes objects, not new ones that would collide with them.
          { parent: this, aliases: [{ name: `${name}-${model.name}-weights-sync` }] },
        );
        dependsOn.push(sync.job);
      }
      if (monitoring) dependsOn.push(monitoring.crds);
      if (autoscale) dependsOn.push(args.keda!);
      // The release's Ingress needs the ingress controller's admission webhook to answer.
      if (usesIngressObjects(ingress)) dependsOn.push(ingress.ready);

      releases[model.name] = new k8s.helm.v3.Release(
        `${name}-${model.name}`,
        {
          name: model.name,
          chart: servingChart,
          namespace: ns,
          description: `llm-serving chart files sha256:${digest}`,
          values: servingValues({
            model,
            scheduling: pool?.scheduling,
            storageClassName: cluster.modelCacheStorage?.storageClassName ?? cluster.storageClassName,
            apiKeySecret: servingApiKeySecret,
            hfTokenSecret: hfTokenSecret ? "hf-token" : undefined,
            serviceAccountAnnotations,
            secretsChecksum,
            modelSource,
            cacheVolumeMiBps: modelCacheMiBps,
            cacheOnNode,
            // The Ingress and the HTTPRoute are named after the release (fullnameOverride: the model's name).
            activationQuery:
              model.minReplicas === 0
                ? frontDoorActivationQuery(ingress!.implementation, args.namespace ?? "llm-serving", {
                    ...(ownHost ? { own: servingServiceName(model.name) } : {}),
                    ...(args.llmApiRoute ? { llmApi: { route: args.llmApiRoute, rules: model.llmApiRules ?? [] } } : {}),
                  })
                : undefined,
            exposure,
            ...(args.clientPeers ? { clientPeers: args.clientPeers } : {}),
            ...(model.registry !== undefined ? { registry: { trackingUri: args.registryTrackingUri!, bucketUrl: cluster.objectStore!.url } } : {}),
            monitoring: monitoring && {
              prometheusUrl: monitoring.prometheusUrl,
              prometheusNamespace: monitoring.prometheusNamespace,
              prometheusPodLabels: monitoring.prometheusPodLabels,
            },
          }),
          // A failed first start (e.g. no GPU free) rolls back instead of leaving a broken release.
          atomic: true,
          cleanupOnFail: true,
          // Computed with the probe and the progress deadline from the weights: the three agree.
          timeout: args.timeoutSeconds ?? servingPlan(model, modelCacheMiBps).budgets.releaseTimeoutSeconds,
        },
        { ...k8sOpts, dependsOn },
      );
      if (ownHost) {
        gatewayRoute(
          `${name}-${model.name}-route`,
          ingress,
          {
            namespace: ns,
            service: servingServiceName(model.name),
            port: servingPort,
            host: exposure.host,
            // Only what the key protects (/v1) and the health check, as the chart's Ingress does.
            pathPrefixes: ["/v1", "/health"],
            // Envoy's default (15 s) covers the whole response and would cut every long completion.
            requestTimeout: `${llmRouteTimeoutSeconds}s`,
            // Requests to a model with no replica (scaled to zero, or down) are then counted per model.
            viaServiceAddress: true,
          },
          k8sOpts,
        );
      }
    }
    // A canary's release serves its model's name: clients see each model once.
    this.servedModels = [...new Set(args.models.map((model) => model.servedName ?? model.name))];
    this.apiUrls = urls;
    this.releases = releases;
    this.registerOutputs({ apiUrls: this.apiUrls, apiKey: this.apiKey });
  }
}
