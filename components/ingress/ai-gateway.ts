import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease, chartReleaseInNamespace } from "../addons/chart-release";
import { consumerAttribute } from "../monitoring/metric-names";
import { charts } from "../versions";
import { consumerHeader } from "./ai-gateway-manifests";

export interface AiGatewayArgs {
  readonly provider: k8s.Provider;
  /** @default "envoy-ai-gateway-system" */
  readonly namespace?: string;
  /** Where Envoy Gateway runs (the AI gateway watches its proxies there). */
  readonly envoyGatewayNamespace: string;
}

/** The AI gateway controller's Service: Envoy Gateway calls it as its extension server on port 1063. */
export const aiGatewayControllerService = "ai-gateway-controller";
export const aiGatewayExtensionPort = 1063;

/**
 * What Envoy Gateway needs to run the AI gateway's extension (the AI gateway's
 * manifests/envoy-gateway-values.yaml at v1.1.0, without its optional EnvoyPatchPolicy): the Backend
 * API, and every listener, route, cluster and secret handed to the extension server after translation.
 */
export function envoyGatewayExtensionConfig(aiGatewayNamespace: string): Record<string, unknown> {
  return {
    extensionApis: { enableBackend: true },
    extensionManager: {
      hooks: {
        xdsTranslator: {
          translation: { listener: { includeAll: true }, route: { includeAll: true }, cluster: { includeAll: true }, secret: { includeAll: true } },
          post: ["Translation", "Cluster", "Route"],
        },
      },
      service: { fqdn: { hostname: `${aiGatewayControllerService}.${aiGatewayNamespace}.svc.cluster.local`, port: aiGatewayExtensionPort } },
    },
  };
}

/**
 * Envoy AI Gateway: its CRDs as their own release, then the controller, which Envoy Gateway calls as an
 * extension server and whose webhook adds the external processor to every Envoy proxy pod.
 */
export class AiGateway extends pulumi.ComponentResource {
  /** The AI gateway's CRDs: the LLM API's objects wait on this and nothing else. */
  readonly crds: k8s.helm.v3.Release;
  readonly release: k8s.helm.v3.Release;
  readonly namespace: string;

  constructor(name: string, args: AiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:AiGateway", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    this.namespace = args.namespace ?? "envoy-ai-gateway-system";
    const { namespace, release: crds } = chartReleaseInNamespace(`${name}-crds`, charts.aiGatewayCrds, { namespace: this.namespace, values: {} }, k8sOpts);
    this.crds = crds;
    this.release = chartRelease(
      `${name}-release`,
      charts.aiGateway,
      // Its webhook certificate comes from the chart (kept across upgrades by a lookup of its Secret).
      {
        namespace: namespace.metadata.name,
        values: {
          envoyGateway: { namespace: args.envoyGatewayNamespace },
          // The consumer apiKeyAuth forwarded becomes a label of the gen_ai metrics: usage per consumer.
          controller: { metricsRequestHeaderAttributes: `${consumerHeader}:${consumerAttribute}` },
        },
      },
      { ...k8sOpts, dependsOn: [crds] },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
