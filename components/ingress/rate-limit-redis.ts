import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { onlyClientsSpec } from "../addons/network-policy";
import { images } from "../versions";

export interface RateLimitRedisArgs {
  readonly provider: k8s.Provider;
  readonly namespace: string;
  /** What must exist first (the namespace). */
  readonly dependsOn: readonly pulumi.Resource[];
  /** Labels of the pods that may connect (Envoy Gateway's rate-limit service). */
  readonly clientPodLabels: Readonly<Record<string, string>>;
  /** @default "envoy-ratelimit-redis" */
  readonly name?: string;
}

const port = 6379;
/** The official image's redis user: the entrypoint skips its root-only steps when started as it. */
const redisUser = 999;

/**
 * The store of Envoy Gateway's global rate limit: one Redis that keeps counters only (no snapshot, no
 * append-only file), so a restart resets the current windows and nothing else is lost. Only the
 * rate-limit service may connect.
 */
export class RateLimitRedis extends pulumi.ComponentResource {
  /** `host:port`, as Envoy Gateway's `rateLimit.backend.redis.url` takes it. */
  readonly url: string;

  constructor(name: string, args: RateLimitRedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:ingress:RateLimitRedis", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    const serviceName = args.name ?? "envoy-ratelimit-redis";
    const labels = { "app.kubernetes.io/name": serviceName };
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: serviceName, namespace: args.namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: redisUser, runAsGroup: redisUser, fsGroup: redisUser, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "redis",
                  image: images.redis,
                  args: ["--save", "", "--appendonly", "no"],
                  ports: [{ name: "redis", containerPort: port }],
                  readinessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10 },
                  livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 20 },
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                  securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
              volumes: [{ name: "data", emptyDir: { sizeLimit: "64Mi" } }],
            },
          },
        },
      },
      k8sOpts,
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: serviceName, namespace: args.namespace, labels }, spec: { selector: labels, ports: [{ name: "redis", port, targetPort: "redis" }] } },
      k8sOpts,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      {
        metadata: { name: serviceName, namespace: args.namespace },
        spec: onlyClientsSpec(labels, args.clientPodLabels, port),
      },
      k8sOpts,
    );
    this.url = `${serviceName}.${args.namespace}.svc.cluster.local:${port}`;
    this.registerOutputs({ url: this.url });
  }
}
