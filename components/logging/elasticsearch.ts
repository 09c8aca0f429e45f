import * as k8s from "@pulumi/kubernetes";
import { podSecurityLabels } from "../addons/pod-security";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { stringify } from "yaml";
import { elasticStackVersion } from "../versions";

export interface ElasticsearchArgs {
  readonly provider: k8s.Provider;
  /** Namespace created for the cluster; Kibana and Fluent Bit run here too, next to its secrets. */
  readonly namespace: string;
  /** Name of the Elasticsearch resource; ECK derives its Service and Secret names from it. */
  readonly clusterName: string;
  /** The ECK operator release (CRDs and validating webhook). */
  readonly operator: pulumi.Resource;
  readonly nodes: number;
  readonly storageGiB: number;
  readonly storageClassName: string;
  readonly heapGiB: number;
  /** Index patterns the log writer may append to, e.g. `logs-kubernetes-*` and `logs-kubernetes.node-*`. */
  readonly logDataStreams: readonly string[];
}

/** Names ECK gives the objects it creates for an Elasticsearch resource named `name`. */
export const eckNames = (name: string) => ({
  httpService: `${name}-es-http`,
  /** Key `elastic`: the password of the `elastic` superuser. */
  elasticUserSecret: `${name}-es-elastic-user`,
  /** Key `ca.crt`: the CA of the HTTP certificate. */
  httpCaSecret: `${name}-es-http-certs-public`,
});

/**
 * The user Fluent Bit signs in as, in ECK's file realm: it may append documents to the log data
 * streams (and create them on first write), nothing else; the `elastic` superuser stays off the nodes.
 */
export const logWriter = {
  username: "fluent-bit",
  role: "log-writer",
  /** Basic-auth Secret (`username`, `password`, `roles`) ECK reads the user from. */
  userSecret: (clusterName: string) => `${clusterName}-log-writer-user`,
  /** Secret with `roles.yml`, the role's definition. */
  roleSecret: (clusterName: string) => `${clusterName}-log-writer-role`,
} as const;

/** The writer role's `roles.yml`: create_doc on the log data streams, auto_configure to create them. */
export function logWriterRolesYaml(dataStreamPatterns: readonly string[]): string {
  return stringify({ [logWriter.role]: { cluster: [], indices: [{ names: [...dataStreamPatterns], privileges: ["create_doc", "auto_configure"] }] } });
}

/** The Elasticsearch resource (elasticsearch.k8s.elastic.co/v1); pure. */
export function elasticsearchManifest(args: Omit<ElasticsearchArgs, "provider" | "operator">) {
  const memory = `${args.heapGiB * 2}Gi`;
  return {
    apiVersion: "elasticsearch.k8s.elastic.co/v1",
    kind: "Elasticsearch",
    metadata: { name: args.clusterName, namespace: args.namespace },
    spec: {
      version: elasticStackVersion,
      auth: {
        fileRealm: [{ secretName: logWriter.userSecret(args.clusterName) }],
        roles: [{ secretName: logWriter.roleSecret(args.clusterName) }],
      },
      nodeSets: [
        {
          name: "default",
          count: args.nodes,
          // mmap would need vm.max_map_count raised on every node (a privileged init container).
          config: { "node.store.allow_mmap": false },
          podTemplate: {
            spec: {
              containers: [
                {
                  name: "elasticsearch",
                  // Heap is half the memory: Lucene uses the other half through the page cache.
                  env: [{ name: "ES_JAVA_OPTS", value: `-Xms${args.heapGiB}g -Xmx${args.heapGiB}g` }],
                  resources: { requests: { memory, cpu: "500m" }, limits: { memory } },
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              // ECK mounts the claim with this name as the data directory.
              metadata: { name: "elasticsearch-data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClassName,
                resources: { requests: { storage: `${args.storageGiB}Gi` } },
              },
            },
          ],
        },
      ],
    },
  };
}

/** An Elasticsearch cluster run by ECK, with persistent storage and a sized heap. */
export class Elasticsearch extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly cluster: k8s.apiextensions.CustomResource;
  readonly names: ReturnType<typeof eckNames>;

  constructor(name: string, args: ElasticsearchArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:Elasticsearch", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    // Fluent Bit runs here too (next to ECK's secrets) and reads the host's /var/log.
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: args.namespace, labels: podSecurityLabels("privileged") } },
      k8sOpts,
    );
    const writerPassword = new random.RandomPassword(`${name}-log-writer`, { length: 32, special: false }, { parent: this });
    const namespace = this.namespace.metadata.name;
    const writerUser = new k8s.core.v1.Secret(
      `${name}-log-writer-user`,
      {
        metadata: { name: logWriter.userSecret(args.clusterName), namespace },
        type: "kubernetes.io/basic-auth",
        stringData: { username: logWriter.username, password: pulumi.secret(writerPassword.result), roles: logWriter.role },
      },
      k8sOpts,
    );
    const writerRole = new k8s.core.v1.Secret(
      `${name}-log-writer-role`,
      { metadata: { name: logWriter.roleSecret(args.clusterName), namespace }, stringData: { "roles.yml": logWriterRolesYaml(args.logDataStreams) } },
      k8sOpts,
    );
    const manifest = elasticsearchManifest(args);
    this.cluster = new k8s.apiextensions.CustomResource(
      `${name}-cluster`,
      { ...manifest, metadata: { ...manifest.metadata, namespace: this.namespace.metadata.name } },
      { ...k8sOpts, dependsOn: [args.operator, writerUser, writerRole] },
    );
    this.names = eckNames(args.clusterName);
    this.registerOutputs({});
  }
}
