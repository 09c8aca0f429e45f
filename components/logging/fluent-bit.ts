import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../addons/chart-release";
import { nodeCriticalPriority, nodeCriticalQuota } from "../addons/priority-class";
import type { Toleration } from "../cluster/types";
import { charts } from "../versions";

export interface FluentBitArgs {
  readonly provider: k8s.Provider;
  /** Elasticsearch's namespace: secretKeyRef and secret volumes can only reach secrets in their own. */
  readonly namespace: pulumi.Input<string>;
  /** In-cluster host of Elasticsearch's HTTPS service, e.g. `logs-es-http.logging.svc`. */
  readonly elasticsearchHost: string;
  /**
   * The Elasticsearch resource. ECK creates the two secrets below when it first reconciles it; until
   * then the pods cannot start, and the atomic release could time out and roll back.
   */
  readonly elasticsearch: pulumi.Resource;
  /** The log writer's user: a basic-auth Secret (keys `username`, `password`) that may only append logs. */
  readonly writer: { readonly secretName: string; readonly username: string };
  /** ECK's `<es>-es-http-certs-public` secret (key `ca.crt`). */
  readonly caSecret: string;
  /** Data stream the container logs go to; its index template and ILM policy come from LogRetention. */
  readonly dataStream: string;
  /**
   * The node's own services, read from its systemd journal: the units (see `nodeServiceUnits`) and the
   * data stream they go to, kept apart from the container logs (and under the same retention).
   */
  readonly nodeLogs: { readonly units: readonly string[]; readonly dataStream: string };
  /** Taints of GPU nodes, so that their logs are shipped too. */
  readonly tolerations: readonly Toleration[];
  /** The Prometheus Operator CRDs release when monitoring is on (the chart's ServiceMonitor). */
  readonly monitoringCrds?: pulumi.Resource;
  /**
   * Whether the cluster admits `system-node-critical` pods only in namespaces with a ResourceQuota for
   * that class, as GKE does. @default false
   */
  readonly criticalPodsNeedQuota?: boolean;
}

const configDir = "/fluent-bit/etc/conf";
const caDir = "/fluent-bit/tls";
/** On the node: tail's read positions survive pod restarts, so nothing is skipped or read twice. */
const stateDir = "/var/lib/fluent-bit";
/** Where the application's own JSON fields go, away from the fields Fluent Bit and Kubernetes add. */
export const appFieldsKey = "app";
/** Attempts per chunk before Fluent Bit drops it (and logs it): a record Elasticsearch rejects never succeeds. */
export const esRetryLimit = 5;
/** The host's persistent journal (systemd keeps it there when the directory exists). */
export const nodeJournalHostPath = "/var/log/journal";
/** Where the pod sees it: its own volume, so that the directory is sure to exist (see fluentBitValues). */
const journalDir = "/node-journal";

/**
 * The systemd units that run the kubelet and the container runtime, per cluster kind. EKS (AL2023 and
 * Bottlerocket) and GKE (Container-Optimized OS) run both as their own units. k3s runs the kubelet
 * inside its own process (`k3s` on servers, `k3s-agent` on agents) and embeds containerd, which writes
 * its log to a file under /var/lib/rancher/k3s, not to the journal.
 */
export const nodeServiceUnits = {
  eks: ["kubelet.service", "containerd.service"],
  gke: ["kubelet.service", "containerd.service"],
  k3s: ["k3s.service", "k3s-agent.service"],
} as const satisfies Record<string, readonly string[]>;

/** One Elasticsearch output: every stream shares the host, TLS, writer and retry settings. */
function esOutput(match: string, dataStream: string, args: Pick<FluentBitArgs, "elasticsearchHost" | "writer">): string {
  return `    - name: es
      match: ${match}
      host: ${args.elasticsearchHost}
      port: 9200
      tls: on
      tls.verify: on
      tls.ca_file: ${caDir}/ca.crt
      http_user: ${args.writer.username}
      http_passwd: \${ELASTICSEARCH_PASSWORD}
      index: ${dataStream}
      # Data streams only accept "create"; Fluent Bit's default write operation.
      write_operation: create
      suppress_type_name: on
      replace_dots: on
      # A rejected record fails the same way every time: give up after a few tries, saying why.
      retry_limit: ${esRetryLimit}
      trace_error: on
      # A retry resends the whole chunk, records Elasticsearch already took included. An _id hashed from
      # the record makes those a 409, which the output ignores, instead of a copy on every retry.
      generate_id: on
`;
}

/**
 * The YAML-format pipeline (the classic format is deprecated from the end of 2026): tail container
 * logs, add Kubernetes metadata, read the node's kubelet and runtime from the journal, and ship both
 * to Elasticsearch over verified TLS, each to its own data stream. Pure.
 */
export function fluentBitYaml(args: Pick<FluentBitArgs, "elasticsearchHost" | "dataStream" | "writer" | "nodeLogs">): string {
  return `service:
  flush: 1
  log_level: info
  http_server: on
  http_listen: 0.0.0.0
  http_port: 2020
  health_check: on
  # The image's parsers, which pods may pick by annotation (k8s-logging.parser).
  parsers_file: /fluent-bit/etc/parsers.conf
pipeline:
  inputs:
    - name: tail
      tag: kube.*
      path: /var/log/containers/*.log
      multiline.parser: cri, docker
      db: ${stateDir}/tail-containers.db
      db.locking: true
      mem_buf_limit: 50MB
      skip_long_lines: on
      refresh_interval: 10
    # Fluent Bit 5.1 stops altogether (container logs included) when a systemd input's path is
    # missing; the pod's own journal volume is created if the host has none, so it never is.
    # Without a path the input would read only the journal of the machine in /etc/machine-id, a file
    # that k3d's nodes lack (a hostPath mount of it then fails the pod).
    - name: systemd
      tag: node.*
      path: ${journalDir}
      systemd_filter:
${args.nodeLogs.units.map((unit) => `        - _SYSTEMD_UNIT=${unit}`).join("\n")}
      systemd_filter_type: or
      # The journal cursor, next to tail's positions: a restarted pod resumes where it stopped.
      db: ${stateDir}/systemd-node.db
      # First start only (no cursor yet): begin at the end, not with the node's whole journal history.
      read_from_tail: on
      # Journal fields start with "_" (_SYSTEMD_UNIT, _PID): plain names in Elasticsearch.
      strip_underscores: on
      mem_buf_limit: 10MB
  filters:
    - name: kubernetes
      match: kube.*
      merge_log: on
      # Under a key of its own: an app's "time" or "@timestamp" would otherwise clash with ours.
      merge_log_key: ${appFieldsKey}
      keep_log: off
      k8s-logging.parser: on
      k8s-logging.exclude: on
    # The CRI and docker parsers keep the runtime's time string; the record's timestamp already holds
    # it, and the output writes it as @timestamp.
    - name: modify
      match: kube.*
      remove: time
  outputs:
${esOutput("kube.*", args.dataStream, args)}${esOutput("node.*", args.nodeLogs.dataStream, args)}`;
}

/** Helm values for the fluent-bit chart; pure. */
export function fluentBitValues(args: Omit<FluentBitArgs, "provider" | "namespace" | "elasticsearch" | "criticalPodsNeedQuota">) {
  return {
    kind: "DaemonSet",
    // Logs must keep flowing on a crowded GPU node: a serving pod may preempt, but not evict the shipper.
    priorityClassName: nodeCriticalPriority,
    // The chart has no YAML-config switch: ship the YAML file next to the classic one and point at it.
    config: { extraFiles: { "fluent-bit.yaml": fluentBitYaml(args) } },
    args: ["--workdir=/fluent-bit/etc", `--config=${configDir}/fluent-bit.yaml`],
    env: [
      { name: "ELASTICSEARCH_PASSWORD", valueFrom: { secretKeyRef: { name: args.writer.secretName, key: "password" } } },
    ],
    extraVolumes: [{ name: "elasticsearch-ca", secret: { secretName: args.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }],
    extraVolumeMounts: [{ name: "elasticsearch-ca", mountPath: caDir, readOnly: true }],
    // Node logs, read-only: containerd (EKS, GKE, k3s) keeps them under /var/log/pods, linked from
    // /var/log/containers. The journal once more as a volume of its own, created where the host keeps
    // none (k3d's nodes; a volatile journal), so the systemd input's path always exists. And the read
    // positions, the one writable host directory.
    daemonSetVolumes: [
      { name: "varlog", hostPath: { path: "/var/log" } },
      { name: "journal", hostPath: { path: nodeJournalHostPath, type: "DirectoryOrCreate" } },
      { name: "state", hostPath: { path: stateDir, type: "DirectoryOrCreate" } },
    ],
    daemonSetVolumeMounts: [
      { name: "varlog", mountPath: "/var/log", readOnly: true },
      { name: "journal", mountPath: journalDir, readOnly: true },
      { name: "state", mountPath: stateDir },
    ],
    tolerations: args.tolerations,
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    serviceMonitor: { enabled: args.monitoringCrds !== undefined },
  };
}

/** Fluent Bit as a DaemonSet shipping every node's container logs and kubelet/runtime journal to Elasticsearch. */
export class FluentBit extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: FluentBitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:FluentBit", name, {}, opts);
    // Without it the DaemonSet's pods are refused where the cluster rations node-critical pods by quota.
    const quota = args.criticalPodsNeedQuota
      ? nodeCriticalQuota(`${name}-critical-pods`, { name: "fluent-bit-critical-pods", namespace: args.namespace }, { parent: this, provider: args.provider })
      : undefined;
    this.release = chartRelease(
      `${name}-release`,
      charts.fluentBit,
      { namespace: args.namespace, values: fluentBitValues(args) },
      {
        parent: this,
        provider: args.provider,
        dependsOn: [args.elasticsearch, ...(args.monitoringCrds ? [args.monitoringCrds] : []), ...(quota ? [quota] : [])],
      },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
