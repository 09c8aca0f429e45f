import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { podSecurityLabels } from "../addons/pod-security";
import type { ObjectStore, WorkloadIdentity } from "../cluster/types";
import { gatewayRoute } from "../ingress/route";
import type { IngressLayer } from "../ingress/types";
import { images } from "../versions";
import { Postgres } from "./postgres";
import { restrictedContainerSecurity } from "../addons/pod-security";

export interface MlflowArgs {
  readonly provider: k8s.Provider;
  readonly identity: WorkloadIdentity;
  /** The stack's bucket: artifacts and registered models go under `<bucket>/mlflow`. */
  readonly objectStore: ObjectStore;
  /** StorageClass of the database's volume. */
  readonly storageClassName: string;
  /** @default 10 */
  readonly databaseStorageGiB?: number;
  /** Namespaces whose pods may call the tracking server directly (the pipeline's). */
  readonly clientNamespaces: readonly string[];
  /** Serves the UI and API at `ingress.host("mlflow")` behind basic auth; in-cluster only when undefined. */
  readonly ingress?: IngressLayer;
  /** @default "mlflow" */
  readonly namespace?: string;
}

/** Names other components rely on. */
export const mlflowConventions = {
  namespace: "mlflow",
  serviceName: "mlflow",
  port: 5000,
  host: "mlflow",
  /** The one basic-auth user at the front door; its password is the stack output mlflowPassword. */
  user: "mlflow",
  authSecret: "mlflow-basic-auth",
  podLabels: { "app.kubernetes.io/name": "mlflow" },
} as const;

/** The tracking URI pods inside the cluster use (no front door, no password: the NetworkPolicy decides who gets in). */
export const mlflowTrackingUri = (namespace: string = mlflowConventions.namespace) =>
  `http://${mlflowConventions.serviceName}.${namespace}.svc.cluster.local:${mlflowConventions.port}`;

/** An htpasswd line with the SHA scheme, the only one Envoy Gateway's basicAuth reads (ingress-nginx reads it too). */
export const htpasswdLine = (user: string, password: string) => `${user}:{SHA}${createHash("sha1").update(password).digest("base64")}`;

/** The tracking server's command line; pure. The database URI is not here: it holds the password and comes from a Secret. */
export function mlflowServerArgs(input: { artifactsDestination: string; allowedHosts: readonly string[] }): string[] {
  return [
    "server",
    "--host", "0.0.0.0",
    "--port", String(mlflowConventions.port),
    // The server reads and writes the bucket for its clients (with its own cloud identity): the
    // pipeline's steps and the UI never need bucket credentials for MLflow's artifacts.
    "--serve-artifacts",
    "--artifacts-destination", input.artifactsDestination,
    // MLflow 3.5+ answers only requests whose Host header it knows (DNS-rebinding protection).
    "--allowed-hosts", input.allowedHosts.join(","),
  ];
}

/**
 * The model registry and tracking server: MLflow (official image) on a PostgreSQL of its own, with
 * artifacts in the stack's bucket through the cluster's workload identity (no static keys). The
 * pipeline reaches it in-cluster; people reach it at `https://mlflow.<domain>` behind basic auth at
 * the front door, since MLflow itself has no login unless its auth app is set up.
 */
export class Mlflow extends pulumi.ComponentResource {
  /** `https://mlflow.<domain>`, or undefined without an ingress. */
  readonly url?: pulumi.Output<string>;
  /** The in-cluster tracking URI. */
  readonly trackingUri: string;
  /** The front door's basic-auth password for user `mlflowConventions.user` (secret). */
  readonly password?: pulumi.Output<string>;

  constructor(name: string, args: MlflowArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:gitops:Mlflow", name, {}, opts);
    const { serviceName, port, podLabels } = mlflowConventions;
    const namespaceName = args.namespace ?? mlflowConventions.namespace;
    // Both pods run as non-root with no capabilities and the runtime's seccomp profile: the restricted level holds.
    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: namespaceName, labels: podSecurityLabels("restricted") } },
      { parent: this, provider: args.provider },
    );
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [namespace] };
    this.trackingUri = mlflowTrackingUri(namespaceName);

    const database = new Postgres(
      `${name}-db`,
      {
        provider: args.provider,
        namespace: namespaceName,
        database: "mlflow",
        storageClassName: args.storageClassName,
        ...(args.databaseStorageGiB ? { storageGiB: args.databaseStorageGiB } : {}),
        clientPodLabels: podLabels,
        dependsOn: [namespace],
      },
      { parent: this },
    );
    const backendStore = new k8s.core.v1.Secret(
      `${name}-backend-store`,
      {
        metadata: { name: `${serviceName}-backend-store`, namespace: namespaceName },
        stringData: { uri: pulumi.secret(pulumi.interpolate`postgresql://mlflow:${database.password}@${database.address}/mlflow`) },
      },
      k8sOpts,
    );

    const annotations = args.identity.grant(`${name}-identity`, { namespace: namespaceName, serviceAccountName: serviceName, bucketAccess: "readwrite" }, this);
    const account = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: { name: serviceName, namespace: namespaceName, annotations } }, k8sOpts);

    const host = args.ingress?.host(mlflowConventions.host);
    const serviceHost = `${serviceName}.${namespaceName}.svc.cluster.local`;
    const allowedHosts = [serviceHost, `${serviceHost}:${port}`, ...(host ? [host] : [])];
    const artifactsDestination = args.objectStore.url.apply((bucket) => `${bucket}/mlflow`);
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: serviceName, namespace: namespaceName, labels: podLabels },
        spec: {
          replicas: 1,
          selector: { matchLabels: podLabels },
          template: {
            metadata: { labels: podLabels },
            spec: {
              serviceAccountName: account.metadata.name,
              securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "mlflow",
                  image: images.mlflow,
                  command: ["mlflow"],
                  args: artifactsDestination.apply((destination) => mlflowServerArgs({ artifactsDestination: destination, allowedHosts })),
                  env: [
                    // The CLI reads --backend-store-uri from here: the password never shows in the pod spec or its command line.
                    { name: "MLFLOW_BACKEND_STORE_URI", valueFrom: { secretKeyRef: { name: backendStore.metadata.name, key: "uri" } } },
                    { name: "HOME", value: "/tmp" },
                    ...(args.objectStore.region ? [{ name: "AWS_DEFAULT_REGION", value: args.objectStore.region }] : []),
                  ],
                  ports: [{ name: "http", containerPort: port }],
                  // The kubelet's probes carry a Host the server allows (a pod IP would be refused by --allowed-hosts).
                  readinessProbe: { httpGet: { path: "/health", port: "http", httpHeaders: [{ name: "Host", value: serviceHost }] }, periodSeconds: 10 },
                  livenessProbe: { httpGet: { path: "/health", port: "http", httpHeaders: [{ name: "Host", value: serviceHost }] }, periodSeconds: 20, failureThreshold: 6 },
                  startupProbe: { httpGet: { path: "/health", port: "http", httpHeaders: [{ name: "Host", value: serviceHost }] }, periodSeconds: 10, failureThreshold: 30 },
                  resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
                  securityContext: restrictedContainerSecurity(),
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "2Gi" } }],
            },
          },
        },
      },
      // The server migrates the schema on start: it waits for the database rather than crash-looping.
      { ...k8sOpts, dependsOn: [namespace, database.statefulSet] },
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: serviceName, namespace: namespaceName, labels: podLabels }, spec: { selector: podLabels, ports: [{ name: "http", port, targetPort: "http" }] } },
      k8sOpts,
    );

    const peers = [
      ...args.clientNamespaces.map((client) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": client } } })),
      ...(args.ingress
        ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.ingress.controllerNamespace } }, podSelector: { matchLabels: { ...args.ingress.controllerPodLabels } } }]
        : []),
    ];
    new k8s.networking.v1.NetworkPolicy(
      `${name}-network-policy`,
      {
        metadata: { name: serviceName, namespace: namespaceName },
        spec: { podSelector: { matchLabels: podLabels }, policyTypes: ["Ingress"], ingress: [{ from: peers, ports: [{ protocol: "TCP", port }] }] },
      },
      k8sOpts,
    );

    if (args.ingress && host) {
      this.password = new random.RandomPassword(`${name}-password`, { length: 24, special: false }, { parent: this }).result;
      const htpasswd = pulumi.secret(this.password.apply((password) => htpasswdLine(mlflowConventions.user, password)));
      // `.htpasswd` for Envoy Gateway's SecurityPolicy, `auth` for ingress-nginx's auth-secret.
      new k8s.core.v1.Secret(
        `${name}-basic-auth`,
        { metadata: { name: mlflowConventions.authSecret, namespace: namespaceName }, stringData: { ".htpasswd": htpasswd, auth: htpasswd } },
        k8sOpts,
      );
      this.expose(name, args.ingress, host, namespaceName, k8sOpts);
      this.url = pulumi.output(`https://${host}`);
    }
    this.registerOutputs({ url: this.url, trackingUri: this.trackingUri, password: this.password });
  }

  /** The route to the server, behind basic auth: an HTTPRoute and a SecurityPolicy, or an Ingress with ingress-nginx's auth. */
  private expose(name: string, ingress: IngressLayer, host: string, namespace: string, k8sOpts: { parent: pulumi.Resource; provider: k8s.Provider }): void {
    const { serviceName, port, authSecret } = mlflowConventions;
    if (ingress.gateway) {
      gatewayRoute(`${name}-route`, ingress, { namespace, service: serviceName, port, host, requestTimeout: "300s" }, k8sOpts);
      new k8s.apiextensions.CustomResource(
        `${name}-auth-policy`,
        mlflowAuthPolicyManifest(namespace, serviceName, authSecret),
        { ...k8sOpts, dependsOn: [ingress.ready] },
      );
      return;
    }
    const tls = ingress.tls(host);
    new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      {
        metadata: {
          name: serviceName,
          namespace,
          annotations: {
            ...tls.annotations,
            "nginx.ingress.kubernetes.io/auth-type": "basic",
            "nginx.ingress.kubernetes.io/auth-secret": authSecret,
            "nginx.ingress.kubernetes.io/auth-realm": "MLflow",
            // Model artifacts go through the server: no 1 MiB body limit.
            "nginx.ingress.kubernetes.io/proxy-body-size": "0",
          },
        },
        spec: {
          ingressClassName: ingress.className,
          tls: [{ hosts: [host], secretName: tls.secretName }],
          rules: [{ host, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: serviceName, port: { number: port } } } }] } }],
        },
      },
      // Rejected by the ingress controller's admission webhook until it can answer.
      { ...k8sOpts, dependsOn: [ingress.ready] },
    );
  }
}

/** Envoy Gateway's basic auth on the MLflow HTTPRoute (named after its Service); pure. */
export function mlflowAuthPolicyManifest(namespace: string, route: string, secretName: string) {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "SecurityPolicy",
    metadata: { name: `${route}-basic-auth`, namespace },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route }],
      basicAuth: { users: { name: secretName } },
    },
  };
}
