import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { NvidiaDevicePlugin } from "../components/addons/nvidia-device-plugin";
import { createCluster } from "./cluster";
import { ingressLayer } from "./ingress";
import { createMonitoringLayer } from "./monitoring";
import type { LoadedConfig } from "./config";

/** Stack outputs; secrets stay Pulumi secrets. */
export type PlatformOutputs = Record<string, pulumi.Output<unknown>>;

/**
 * The stack composition: the cluster first, then add-ons that each depend only on the cluster
 * (and on another add-on only where they use its CRDs or webhooks), then serving.
 */
export function createPlatform(config: LoadedConfig): PlatformOutputs {
  const name = `llm-${pulumi.getStack()}`;
  const cluster = createCluster(name, config);
  // Default providers are disabled, so even random needs an explicit provider; components inherit it.
  const randomProvider = new random.Provider(`${name}-random`);
  const addonOptions: pulumi.ComponentResourceOptions = { providers: [randomProvider] };

  const installDevicePlugin = config.cluster.provider === "k3s" && config.cluster.installDevicePlugin;
  if (installDevicePlugin && cluster.gpuPools.length > 0) {
    new NvidiaDevicePlugin(`${name}-nvidia`, { provider: cluster.provider, gpuPools: cluster.gpuPools });
  }

  // The two layers other add-ons build on. Add-ons (each from its own stacks/<area>.ts) receive
  // them as data; they wait on a layer's resources only where they use its CRDs or webhooks.
  const ingress = ingressLayer(config);
  const monitoring = createMonitoringLayer(name, config, cluster, addonOptions);
  void ingress;

  return {
    environment: pulumi.output(config.environment),
    clusterName: cluster.clusterName,
    kubeconfig: pulumi.secret(cluster.kubeconfig),
    objectStoreUrl: cluster.objectStore?.url ?? pulumi.output(null),
    bucketName: cluster.objectStore?.bucket ?? pulumi.output(null),
    oidcIssuerUrl: cluster.oidcIssuerUrl ?? pulumi.output(null),
    ...(monitoring ? { prometheusUrl: pulumi.output(monitoring.prometheusUrl) } : {}),
  };
}
