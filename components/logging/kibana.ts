import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gatewayRoute } from "../ingress/route";
import type { IngressLayer } from "../ingress/types";
import { elasticStackVersion } from "../versions";

export interface KibanaArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  /** Name of the Kibana resource; ECK serves it as `<name>-kb-http`. */
  readonly kibanaName: string;
  /** The Elasticsearch resource's name, in the same namespace. */
  readonly elasticsearchName: string;
  /** The ECK operator release (CRDs and validating webhook). */
  readonly operator: pulumi.Resource;
  /** Kibana gets an Ingress with TLS through this layer; none when undefined. */
  readonly ingress?: IngressLayer;
}

/** Kibana's memory request and limit. */
export const kibanaMemory = "2Gi";

/** The Kibana resource (kibana.k8s.elastic.co/v1); pure. */
export function kibanaManifest(args: Pick<KibanaArgs, "kibanaName" | "elasticsearchName">, publicUrl?: string, plainHttp = false) {
  return {
    apiVersion: "kibana.k8s.elastic.co/v1",
    kind: "Kibana",
    metadata: {
      name: args.kibanaName,
      annotations: {
        // pulumi up waits until ECK reports Kibana healthy (its pods ready and connected to
        // Elasticsearch), so a Kibana that crash-loops fails the update instead of passing silently.
        "pulumi.com/waitFor": "jsonpath={.status.health}=green",
        "pulumi.com/timeoutSeconds": "900",
      },
    },
    spec: {
      version: elasticStackVersion,
      count: 1,
      // ECK wires the connection: a service account token for Kibana and the Elasticsearch CA.
      elasticsearchRef: { name: args.elasticsearchName },
      ...(publicUrl ? { config: { "server.publicBaseUrl": publicUrl } } : {}),
      // Behind the Gateway, Envoy terminates the public TLS and reaches Kibana over plain HTTP, inside
      // the namespace's NetworkPolicy, as it does Argo CD and Grafana; ECK's own CA is not one Envoy trusts.
      ...(plainHttp ? { http: { tls: { selfSignedCertificate: { disabled: true } } } } : {}),
      podTemplate: {
        spec: {
          // 2Gi, ECK 3.5's own default: Kibana 9.x sizes its heap at 75% of the container's memory and
          // does not get through plugin initialisation in 1Gi.
          containers: [{ name: "kibana", resources: { requests: { memory: kibanaMemory, cpu: "250m" }, limits: { memory: kibanaMemory } } }],
        },
      },
    },
  };
}

/**
 * Kibana, behind Elasticsearch's own login: ECK leaves security on, so every visitor signs in as an
 * Elasticsearch user (the generated `elastic` superuser at first). The Ingress only adds public TLS.
 */
export class Kibana extends pulumi.ComponentResource {
  readonly kibana: k8s.apiextensions.CustomResource;
  /** `https://kibana.<domain>`, or undefined without an ingress. */
  readonly url?: string;

  constructor(name: string, args: KibanaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:Kibana", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const host = args.ingress?.host("kibana");
    this.url = host ? `https://${host}` : undefined;
    const behindGateway = args.ingress?.gateway !== undefined;
    const manifest = kibanaManifest(args, this.url, behindGateway);
    this.kibana = new k8s.apiextensions.CustomResource(
      `${name}-kibana`,
      { ...manifest, metadata: { ...manifest.metadata, namespace: args.namespace } },
      { ...k8sOpts, dependsOn: [args.operator] },
    );
    if (args.ingress && host && behindGateway) {
      gatewayRoute(`${name}-route`, args.ingress, { namespace: args.namespace, service: `${args.kibanaName}-kb-http`, port: 5601, host }, k8sOpts);
    } else if (args.ingress && host) {
      const tls = args.ingress.tls(host);
      new k8s.networking.v1.Ingress(
        `${name}-ingress`,
        {
          metadata: {
            name: "kibana",
            namespace: args.namespace,
            annotations: {
              ...tls.annotations,
              // ECK serves Kibana over TLS with its own CA, so the hop from the controller is HTTPS too.
              "nginx.ingress.kubernetes.io/backend-protocol": "HTTPS",
            },
          },
          spec: {
            ingressClassName: args.ingress.className,
            tls: [{ hosts: [host], secretName: tls.secretName }],
            rules: [
              {
                host,
                http: {
                  paths: [
                    {
                      path: "/",
                      pathType: "Prefix",
                      backend: { service: { name: `${args.kibanaName}-kb-http`, port: { number: 5601 } } },
                    },
                  ],
                },
              },
            ],
          },
        },
        // Rejected by the ingress controller's admission webhook until it can answer.
        { ...k8sOpts, dependsOn: [args.ingress.ready] },
      );
    }
    this.registerOutputs({ url: this.url });
  }
}
