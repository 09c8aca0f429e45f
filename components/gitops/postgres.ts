import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { onlyClientsSpec } from "../addons/network-policy";
import { images } from "../versions";
import { restrictedContainerSecurity } from "../addons/pod-security";

export interface PostgresArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  /** The database, its owner and the Service's name. */
  readonly database: string;
  readonly storageClassName: string;
  /** @default 10 */
  readonly storageGiB?: number;
  /** Labels of the pods (in the same namespace) that may connect. */
  readonly clientPodLabels: Readonly<Record<string, string>>;
  /** What must exist first (the namespace). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

const port = 5432;
/** The official (Debian) image's postgres user: the entrypoint skips its root-only steps when started as it. */
const postgresUser = 999;
/** The key of the password in the Secret the server and its clients read. */
export const postgresPasswordKey = "password";

/**
 * One PostgreSQL server of the official image, as a StatefulSet with its own volume, for a platform
 * component's state (the model registry). The password is generated, stays a Pulumi secret and
 * reaches the pod only through a Kubernetes Secret; only the client's pods may connect.
 */
export class Postgres extends pulumi.ComponentResource {
  /** `host:port` inside the cluster. */
  readonly address: string;
  /** Secret name and key holding the password (clients read it from there). */
  readonly passwordSecret: { readonly name: string; readonly key: string };
  /** The generated password (secret). */
  readonly password: pulumi.Output<string>;
  /** The StatefulSet: clients that must not start before the database wait on it. */
  readonly statefulSet: k8s.apps.v1.StatefulSet;

  constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:gitops:Postgres", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [...(args.dependsOn ?? [])] };
    const serviceName = `${args.database}-postgres`;
    const labels = { "app.kubernetes.io/name": "postgres", "app.kubernetes.io/instance": serviceName };

    // Letters and digits only: the password is also part of a connection URI, where other characters need escaping.
    this.password = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this }).result;
    const secret = new k8s.core.v1.Secret(
      `${name}-password`,
      { metadata: { name: serviceName, namespace: args.namespace }, stringData: { [postgresPasswordKey]: pulumi.secret(this.password) } },
      k8sOpts,
    );
    this.passwordSecret = { name: serviceName, key: postgresPasswordKey };

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata: { name: serviceName, namespace: args.namespace, labels }, spec: { selector: labels, ports: [{ name: "postgres", port, targetPort: "postgres" }] } },
      k8sOpts,
    );
    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata: { name: serviceName, namespace: args.namespace, labels },
        spec: {
          serviceName: service.metadata.name,
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: postgresUser, runAsGroup: postgresUser, fsGroup: postgresUser, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "postgres",
                  image: images.postgres,
                  env: [
                    { name: "POSTGRES_USER", value: args.database },
                    { name: "POSTGRES_DB", value: args.database },
                    { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: secret.metadata.name, key: postgresPasswordKey } } },
                  ],
                  ports: [{ name: "postgres", containerPort: port }],
                  readinessProbe: { exec: { command: ["pg_isready", "-U", args.database, "-d", args.database] }, periodSeconds: 10 },
                  livenessProbe: { tcpSocket: { port: "postgres" }, periodSeconds: 20, failureThreshold: 6 },
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                  securityContext: restrictedContainerSecurity(),
                  // The image's PGDATA (18+) is a subdirectory of this mount, so a volume's lost+found does not stop initdb.
                  volumeMounts: [{ name: "data", mountPath: "/var/lib/postgresql" }, { name: "run", mountPath: "/var/run/postgresql" }],
                },
              ],
              volumes: [{ name: "run", emptyDir: { sizeLimit: "16Mi" } }],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClassName,
                resources: { requests: { storage: `${args.storageGiB ?? 10}Gi` } },
              },
            },
          ],
        },
      },
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
    this.address = `${serviceName}:${port}`;
    this.registerOutputs({ address: this.address });
  }
}
