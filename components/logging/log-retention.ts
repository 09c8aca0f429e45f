import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { images } from "../versions";
import { restrictedContainerSecurity } from "../addons/pod-security";

export interface LogRetentionArgs {
  readonly provider: k8s.Provider;
  /**
   * Where the Job runs: the Namespace resource, created first, and its name as a plain string, so that a
   * preview knows it (the Namespace's own outputs are unknown until it exists).
   */
  readonly namespace: { readonly name: string; readonly resource: k8s.core.v1.Namespace };
  /** `https://<es>-es-http.<namespace>.svc:9200`. */
  readonly elasticsearchUrl: string;
  readonly credentialsSecret: string;
  readonly caSecret: string;
  /** The data streams Fluent Bit writes to, e.g. `logs-kubernetes-default` (containers), `logs-kubernetes.node-default`. */
  readonly dataStreams: readonly string[];
  readonly retentionDays: number;
}

export const ilmPolicyName = "llm-platform-logs";

/** ILM policy: roll over daily (or at 50 GB a shard), delete `retentionDays` after rollover. Pure. */
export function ilmPolicy(retentionDays: number) {
  return {
    policy: {
      phases: {
        hot: { actions: { rollover: { max_age: "1d", max_primary_shard_size: "50gb" } } },
        delete: { min_age: `${retentionDays}d`, actions: { delete: {} } },
      },
    },
  };
}

/**
 * Index template for the data stream: above Elasticsearch's built-in `logs-*-*` template (priority
 * 100), reusing its mappings and settings but with our ILM policy. Pure.
 */
export function indexTemplate(dataStream: string) {
  return {
    index_patterns: [`${dataStream.split("-").slice(0, 2).join("-")}-*`],
    data_stream: {},
    priority: 500,
    composed_of: ["logs@mappings", "logs@settings"],
    template: { settings: { "index.lifecycle.name": ilmPolicyName } },
  };
}

/**
 * The requests the Job sends, in order: the policy, then per data stream its template, the stream and
 * its settings. Each is idempotent: PUT replaces the policy and template; creating the data stream
 * first means its first backing index already gets the policy, and the settings call covers a data
 * stream Fluent Bit created before this Job ran.
 */
export function retentionRequests(args: Pick<LogRetentionArgs, "dataStreams" | "retentionDays">) {
  return [
    { method: "PUT", path: `/_ilm/policy/${ilmPolicyName}`, body: ilmPolicy(args.retentionDays), okStatuses: [200] },
    ...args.dataStreams.flatMap((dataStream) => [
      { method: "PUT", path: `/_index_template/${dataStream}`, body: indexTemplate(dataStream), okStatuses: [200] },
      { method: "PUT", path: `/_data_stream/${dataStream}`, body: undefined, okStatuses: [200, 400] },
      { method: "PUT", path: `/${dataStream}/_settings`, body: { "index.lifecycle.name": ilmPolicyName }, okStatuses: [200] },
    ]),
  ];
}

/** The Job's shell script; curl retries until Elasticsearch is up and its certificate verifies. */
export function retentionScript(args: Pick<LogRetentionArgs, "elasticsearchUrl" | "dataStreams" | "retentionDays">): string {
  const lines = retentionRequests(args).map((request) => {
    const body = request.body ? ` -H 'Content-Type: application/json' -d '${JSON.stringify(request.body)}'` : "";
    const ok = request.okStatuses.map((status) => `"${status}"`).join(" ");
    return `call ${request.method} '${request.path}'${body} -o /dev/null -w '%{http_code}' | { read -r code; for s in ${ok}; do [ "$code" = "$s" ] && exit 0; done; echo "${request.method} ${request.path}: HTTP $code"; exit 1; }`;
  });
  return [
    "set -eu",
    `call() { method="$1"; path="$2"; shift 2; curl -sS --retry 60 --retry-delay 10 --retry-all-errors --cacert /certs/ca.crt -u "elastic:$ELASTICSEARCH_PASSWORD" -X "$method" "${args.elasticsearchUrl}$path" "$@"; }`,
    ...lines,
  ].join("\n");
}

/**
 * Applies the log retention (ILM policy and index template) with a one-shot Job, since neither ECK
 * nor the fluent-bit chart manage Elasticsearch's own settings. A config change replaces the Job.
 */
export class LogRetention extends pulumi.ComponentResource {
  readonly job: k8s.batch.v1.Job;

  constructor(name: string, args: LogRetentionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:LogRetention", name, {}, opts);
    const script = retentionScript(args);
    // Job specs are immutable: naming it after its script makes a retention change a clean replacement.
    const suffix = createHash("sha256").update(script).digest("hex").slice(0, 8);
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: { name: `apply-log-retention-${suffix}`, namespace: args.namespace.name },
        spec: {
          backoffLimit: 6,
          template: {
            spec: {
              restartPolicy: "OnFailure",
              automountServiceAccountToken: false,
              // curl needs no particular user: a high UID/GID that no host account owns.
              securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "apply-ilm",
                  image: images.curl,
                  command: ["/bin/sh", "-c", script],
                  env: [
                    { name: "ELASTICSEARCH_PASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecret, key: "elastic" } } },
                  ],
                  volumeMounts: [{ name: "ca", mountPath: "/certs", readOnly: true }],
                  securityContext: { ...restrictedContainerSecurity(), readOnlyRootFilesystem: true },
                  resources: {
                    requests: { cpu: "10m", memory: "16Mi", "ephemeral-storage": "10Mi" },
                    limits: { cpu: "100m", memory: "64Mi", "ephemeral-storage": "10Mi" },
                  },
                },
              ],
              volumes: [{ name: "ca", secret: { secretName: args.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }],
            },
          },
        },
      },
      // Elasticsearch may take several minutes to start on a fresh cluster; curl retries for 10.
      { parent: this, provider: args.provider, dependsOn: [args.namespace.resource], customTimeouts: { create: "20m", update: "20m" } },
    );
    this.registerOutputs({});
  }
}
