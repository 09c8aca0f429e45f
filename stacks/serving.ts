import type * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster } from "../components/cluster/types";
import type { IngressLayer } from "../components/ingress/types";
import type { MonitoringLayer } from "../components/monitoring/types";
import { Keda } from "../components/serving/keda";
import { LlmServing } from "../components/serving/llm-serving";
import type { LoadedConfig } from "./config";

/** Where the serving releases run; the pipeline's deploy step patches Deployments there. */
export const servingConventions = { namespace: "llm-serving" } as const;

/** Installs one LLM serving release per configured model (and KEDA when one autoscales); undefined without models. */
export function createServing(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  layers: { ingress?: IngressLayer; monitoring?: MonitoringLayer },
  opts: pulumi.ComponentResourceOptions,
): LlmServing | undefined {
  if (config.models.length === 0) return undefined;
  const autoscales = config.models.some((model) => model.maxReplicas > model.minReplicas);
  const keda = autoscales ? new Keda(`${name}-keda`, { provider: cluster.provider }, opts) : undefined;
  return new LlmServing(
    `${name}-llm`,
    {
      cluster,
      models: config.models,
      hfToken: config.secrets.hfToken,
      ingress: layers.ingress,
      monitoring: layers.monitoring,
      keda: keda?.release,
      namespace: servingConventions.namespace,
    },
    opts,
  );
}
