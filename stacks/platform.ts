import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { chartMirrorTransformation } from "../components/addons/chart-release";
import { NvidiaDevicePlugin } from "../components/addons/nvidia-device-plugin";
import { createCluster } from "./cluster";
import { createGitops } from "./gitops";
import { createIngress } from "./ingress";
import { createLogging } from "./logging";
import { createMonitoring, createMonitoringLayer } from "./monitoring";
import { createServing } from "./serving";
import type { LoadedConfig } from "./config";
import { platformName } from "./config/derived-names";

/** Stack outputs; secrets stay Pulumi secrets. */
export type PlatformOutputs = Record<string, pulumi.Output<unknown>>;

/**
 * The stack composition: the cluster first, then add-ons that each depend only on the cluster
 * (and on another add-on only where they use its CRDs or webhooks), then serving.
 */
export function createPlatform(config: LoadedConfig): PlatformOutputs {
  const name = platformName(pulumi.getStack());
  // Default providers are disabled, so even random needs an explicit provider; components inherit it.
  const randomProvider = new random.Provider(`${name}-random`);
  const addonOptions: pulumi.ComponentResourceOptions = {
    providers: [randomProvider],
    ...(config.chartMirror ? { transformations: [chartMirrorTransformation(config.chartMirror)] } : {}),
  };
  const cluster = createCluster(name, config, addonOptions);

  const installDevicePlugin = config.cluster.provider === "k3s" && config.cluster.installDevicePlugin;
  if (installDevicePlugin && cluster.gpuPools.length > 0) {
    new NvidiaDevicePlugin(`${name}-nvidia`, { provider: cluster.provider, gpuPools: cluster.gpuPools }, addonOptions);
  }

  // The two layers other add-ons build on. Add-ons (each from its own stacks/<area>.ts) receive
  // them as data; they wait on a layer's resources only where they use its CRDs or webhooks.
  const monitoring = createMonitoringLayer(name, config, cluster, addonOptions);
  const { layer: ingress, gatewayAddress, caCertificate } = createIngress(name, config, cluster, monitoring, addonOptions);
  const monitoringOutputs = monitoring ? createMonitoring(name, config, cluster, monitoring, ingress, addonOptions) : {};
  const loggingOutputs = createLogging(name, config, cluster, monitoring, ingress, addonOptions);
  const served = createServing(name, config, cluster, { ingress, monitoring }, addonOptions);
  const serving = served?.serving;
  const api = served?.api;
  const gitops = createGitops(name, config, cluster, { ingress, servingNamespace: serving?.namespace, servingApiKey: serving?.apiKey, monitoring }, addonOptions);
  const firstModel = config.models[0]?.name;

  return {
    environment: pulumi.output(config.environment),
    clusterName: cluster.clusterName,
    kubeconfig: pulumi.secret(cluster.kubeconfig),
    objectStoreUrl: cluster.objectStore?.url ?? pulumi.output(null),
    bucketName: cluster.objectStore?.bucket ?? pulumi.output(null),
    oidcIssuerUrl: cluster.oidcIssuerUrl ?? pulumi.output(null),
    ...(monitoring ? { prometheusUrl: pulumi.output(monitoring.prometheusUrl) } : {}),
    // Where the `*.<domain>` DNS records point: the Gateway's load balancer hostname (EKS) or IP.
    ...(gatewayAddress ? { gatewayAddress } : {}),
    // The private CA's root certificate (tls.issuer "private-ca"), for clients to trust.
    ...(caCertificate ? { caCertificate } : {}),
    ...(serving ? { llmApiKey: serving.apiKey, llmModels: pulumi.output(serving.servedModels) } : {}),
    // Behind the Gateway, llmApiUrl is the one LLM API (https://api.<domain>/v1) and llmApiKeys holds a
    // key per consumer; with ingress-nginx it is the first model's host, and llmApiUrls has each model's host.
    ...(api ? { llmApiUrl: pulumi.output(api.url) } : {}),
    ...(!api && serving && firstModel && serving.apiUrls[firstModel]
      ? { llmApiUrl: pulumi.output(serving.apiUrls[firstModel]), llmApiUrls: pulumi.output(serving.apiUrls) }
      : {}),
    ...(api ? { llmApiKeys: api.consumerKeys } : {}),
    ...gitops,
    ...monitoringOutputs,
    ...loggingOutputs,
  };
}
