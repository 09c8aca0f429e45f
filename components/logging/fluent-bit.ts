import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../addons/chart-release";
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
  /** ECK's `<es>-es-elastic-user` secret (key `elastic`). */
  readonly credentialsSecret: string;
  /** ECK's `<es>-es-http-certs-public` secret (key `ca.crt`). */
  readonly caSecret: string;
  /** Data stream the logs go to; its index template and ILM policy come from LogRetention. */
  readonly dataStream: string;
  /** Taints of GPU nodes, so that their logs are shipped too. */
  readonly tolerations: readonly Toleration[];
  /** The Prometheus Operator CRDs release when monitoring is on (the chart's ServiceMonitor). */
  readonly monitoringCrds?: pulumi.Resource;
}

const configDir = "/fluent-bit/etc/conf";
const caDir = "/fluent-bit/tls";

/**
 * The YAML-format pipeline (the classic format is deprecated from the end of 2026): tail container
 * logs, add Kubernetes metadata, ship to Elasticsearch over verified TLS. Pure.
 */
export function fluentBitYaml(args: Pick<FluentBitArgs, "elasticsearchHost" | "dataStream">): string {
  return `service:
  flush: 1
  log_level: info
  http_server: on
  http_listen: 0.0.0.0
  http_port: 2020
  health_check: on
pipeline:
  inputs:
    - name: tail
      tag: kube.*
      path: /var/log/containers/*.log
      multiline.parser: cri, docker
      mem_buf_limit: 50MB
      skip_long_lines: on
      refresh_interval: 10
  filters:
    - name: kubernetes
      match: kube.*
      merge_log: on
      keep_log: off
      k8s-logging.parser: on
      k8s-logging.exclude: on
  outputs:
    - name: es
      match: kube.*
      host: ${args.elasticsearchHost}
      port: 9200
      tls: on
      tls.verify: on
      tls.ca_file: ${caDir}/ca.crt
      http_user: elastic
      http_passwd: \${ELASTICSEARCH_PASSWORD}
      index: ${args.dataStream}
      # Data streams only accept "create"; Fluent Bit's default write operation.
      write_operation: create
      suppress_type_name: on
      replace_dots: on
      retry_limit: no_limits
`;
}

/** Helm values for the fluent-bit chart; pure. */
export function fluentBitValues(args: Omit<FluentBitArgs, "provider" | "namespace" | "elasticsearch">) {
  return {
    kind: "DaemonSet",
    // The chart has no YAML-config switch: ship the YAML file next to the classic one and point at it.
    config: { extraFiles: { "fluent-bit.yaml": fluentBitYaml(args) } },
    args: ["--workdir=/fluent-bit/etc", `--config=${configDir}/fluent-bit.yaml`],
    env: [
      { name: "ELASTICSEARCH_PASSWORD", valueFrom: { secretKeyRef: { name: args.credentialsSecret, key: "elastic" } } },
    ],
    extraVolumes: [{ name: "elasticsearch-ca", secret: { secretName: args.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } }],
    extraVolumeMounts: [{ name: "elasticsearch-ca", mountPath: caDir, readOnly: true }],
    // The one hostPath the platform allows: node logs, read-only. Containerd (EKS, GKE, k3s) keeps
    // them under /var/log/pods, linked from /var/log/containers.
    daemonSetVolumes: [{ name: "varlog", hostPath: { path: "/var/log" } }],
    daemonSetVolumeMounts: [{ name: "varlog", mountPath: "/var/log", readOnly: true }],
    tolerations: args.tolerations,
    securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    serviceMonitor: { enabled: args.monitoringCrds !== undefined },
  };
}

/** Fluent Bit as a DaemonSet shipping every node's container logs to Elasticsearch. */
export class FluentBit extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: FluentBitArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:FluentBit", name, {}, opts);
    this.release = chartRelease(
      `${name}-release`,
      charts.fluentBit,
      { namespace: args.namespace, values: fluentBitValues(args) },
      {
        parent: this,
        provider: args.provider,
        dependsOn: [args.elasticsearch, ...(args.monitoringCrds ? [args.monitoringCrds] : [])],
      },
    );
    this.registerOutputs({ status: this.release.status });
  }
}
