import * as k8s from "@pulumi/kubernetes";
import { podSecurityLabels } from "../addons/pod-security";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { chartRelease } from "../addons/chart-release";
import { nodeCriticalPriority, nodeCriticalQuota } from "../addons/priority-class";
import { gatewayRoute, helmName, usesIngressObjects } from "../ingress/route";
import type { IngressLayer } from "../ingress/types";
import { charts } from "../versions";

export interface KubePrometheusStackArgs {
  readonly provider: k8s.Provider;
  /** Namespace created for the stack; the Prometheus service name is fixed by `fullnameOverride`. */
  readonly namespace: string;
  /** Helm fullname: Prometheus is served as `<fullname>-prometheus`. */
  readonly fullname: string;
  /** The Prometheus Operator CRDs release; the chart's own CRDs are turned off. */
  readonly crds: pulumi.Resource;
  readonly storageClassName: string;
  readonly retentionDays: number;
  readonly prometheusStorageGiB: number;
  readonly alertmanagerStorageGiB: number;
  /** Grafana gets an Ingress with TLS through this layer; no Ingress when undefined. */
  readonly ingress?: IngressLayer;
  /**
   * Secret. A Slack-compatible incoming webhook (Slack, or Discord's `/slack` endpoint) Alertmanager
   * sends alerts to. @default undefined: alerts only show in Alertmanager and Grafana.
   */
  readonly notifyWebhookUrl?: pulumi.Output<string>;
  /**
   * Whether the cluster admits `system-node-critical` pods (node-exporter's) only in namespaces with a
   * ResourceQuota for that class, as GKE does. @default false
   */
  readonly criticalPodsNeedQuota?: boolean;
}

const adminSecretKeys = { user: "admin-user", password: "admin-password" } as const;
/** Listed in `alertmanagerSpec.secrets`, the operator mounts it at /etc/alertmanager/secrets/<name>/. */
const notifySecret = { name: "alertmanager-notify", key: "url" } as const;

/**
 * Routes every alert to the webhook, keeping the chart's default sub-route (Watchdog to "null") and its
 * inhibit rules (one of which silences InfoInhibitor). The URL is read from a mounted Secret
 * (`api_url_file`), so it never enters the Helm values.
 */
const notifyingConfig = {
  route: { receiver: "notify" },
  receivers: [
    { name: "null" },
    {
      name: "notify",
      slack_configs: [
        {
          api_url_file: `/etc/alertmanager/secrets/${notifySecret.name}/${notifySecret.key}`,
          send_resolved: true,
          title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}",
          text: "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
        },
      ],
    },
  ],
};

/** A PVC template for an operator-managed StatefulSet (Prometheus or Alertmanager). */
const volumeClaim = (storageClassName: string, gib: number) => ({
  volumeClaimTemplate: {
    spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${gib}Gi` } } },
  },
});

/** Helm values for kube-prometheus-stack; pure, so tests can check them against the chart's keys. */
export function kubePrometheusStackValues(
  args: Omit<KubePrometheusStackArgs, "provider" | "crds" | "namespace" | "notifyWebhookUrl" | "criticalPodsNeedQuota">,
  adminSecretName: pulumi.Input<string>,
  notify: boolean,
) {
  const host = args.ingress?.host("grafana");
  const tls = host ? args.ingress!.tls(host) : undefined;
  // Behind the Gateway the program's own HTTPRoute takes the Ingress's place.
  const ingressObject = usesIngressObjects(args.ingress);
  return {
    fullnameOverride: args.fullname,
    // The CRDs come from their own release, which ServiceMonitors and rules elsewhere wait on.
    crds: { enabled: false },
    // The chart scrapes these control-plane parts by default, but no stack of ours exposes them: EKS
    // and GKE manage them out of reach, k3s runs them inside its one server process, and kube-proxy
    // (EKS, GKE, k3s) binds its metrics to 127.0.0.1. Their targets would stay down and the chart's
    // critical *Down alerts fire forever, so the scrapes and their rule groups are off.
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
    defaultRules: {
      rules: { kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, etcd: false, kubeProxy: false },
    },
    // Node metrics must survive a crowded GPU node: a serving pod may preempt, but not evict these.
    // (The subchart reads priorityClassName, commented out in its values.yaml.)
    "prometheus-node-exporter": { priorityClassName: nodeCriticalPriority },
    prometheus: {
      prometheusSpec: {
        retention: `${args.retentionDays}d`,
        storageSpec: volumeClaim(args.storageClassName, args.prometheusStorageGiB),
        // The chart's default (true) only selects monitors carrying this release's label; the serving
        // chart, dcgm-exporter and the platform rules live elsewhere and carry none.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: {},
        podMonitorSelector: {},
        ruleSelector: {},
        serviceMonitorNamespaceSelector: {},
        podMonitorNamespaceSelector: {},
        ruleNamespaceSelector: {},
      },
    },
    alertmanager: {
      enabled: true,
      ...(notify ? { config: notifyingConfig } : {}),
      alertmanagerSpec: {
        storage: volumeClaim(args.storageClassName, args.alertmanagerStorageGiB),
        ...(notify ? { secrets: [notifySecret.name] } : {}),
      },
    },
    grafana: {
      enabled: true,
      admin: { existingSecret: adminSecretName, userKey: adminSecretKeys.user, passwordKey: adminSecretKeys.password },
      // Dashboards come from ConfigMaps labelled grafana_dashboard="1" in any namespace (kps defaults, made explicit).
      sidecar: { dashboards: { enabled: true, label: "grafana_dashboard", labelValue: "1", searchNamespace: "ALL" } },
      ...(host ? { "grafana.ini": { server: { root_url: `https://${host}` } } } : {}),
      ...(host && tls && ingressObject
        ? {
            ingress: {
              enabled: true,
              ingressClassName: args.ingress!.className,
              annotations: tls.annotations,
              hosts: [host],
              path: "/",
              tls: [{ secretName: tls.secretName, hosts: [host] }],
            },
          }
        : {}),
    },
  };
}

/**
 * Prometheus (retention, persistent storage, monitors and rules from every namespace), Alertmanager
 * and Grafana with a generated admin password.
 */
export class KubePrometheusStack extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly release: k8s.helm.v3.Release;
  /** Secret. */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** `https://grafana.<domain>`, or undefined without an ingress. */
  readonly grafanaUrl?: string;

  constructor(name: string, args: KubePrometheusStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:monitoring:KubePrometheusStack", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    // node-exporter needs hostNetwork, hostPID and host paths, and the DCGM exporter runs here too.
    this.namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: args.namespace, labels: podSecurityLabels("privileged") } },
      k8sOpts,
    );

    const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this });
    this.grafanaAdminPassword = pulumi.secret(password.result);
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace: this.namespace.metadata.name },
        stringData: { [adminSecretKeys.user]: "admin", [adminSecretKeys.password]: this.grafanaAdminPassword },
      },
      k8sOpts,
    );

    const notifySecretResource = args.notifyWebhookUrl
      ? new k8s.core.v1.Secret(
          `${name}-alertmanager-notify`,
          {
            metadata: { name: notifySecret.name, namespace: this.namespace.metadata.name },
            stringData: { [notifySecret.key]: pulumi.secret(args.notifyWebhookUrl) },
          },
          k8sOpts,
        )
      : undefined;

    // node-exporter's pods are refused without it where the cluster rations node-critical pods by quota.
    const quota = args.criticalPodsNeedQuota
      ? nodeCriticalQuota(`${name}-critical-pods`, { name: "node-exporter-critical-pods", namespace: this.namespace.metadata.name }, k8sOpts)
      : undefined;

    this.release = chartRelease(
      `${name}-release`,
      charts.kubePrometheusStack,
      {
        namespace: this.namespace.metadata.name,
        values: kubePrometheusStackValues(args, adminSecret.metadata.name, notifySecretResource !== undefined),
      },
      // Prometheus and Grafana need the operator's CRDs (Prometheus, Alertmanager, ServiceMonitor, ...).
      // Alertmanager mounts the webhook Secret, so it must exist first. Grafana's Ingress needs the
      // ingress controller's admission webhook to answer.
      {
        ...k8sOpts,
        dependsOn: [
          args.crds,
          ...(notifySecretResource ? [notifySecretResource] : []),
          ...(quota ? [quota] : []),
          ...(usesIngressObjects(args.ingress) ? [args.ingress.ready] : []),
        ],
      },
    );
    const host = args.ingress?.host("grafana");
    if (host) {
      // The Grafana subchart names its Service <release>-grafana, on port 80.
      const service = helmName(`${name}-release-grafana`);
      gatewayRoute(`${name}-grafana-route`, args.ingress, { namespace: this.namespace.metadata.name, service, port: 80, host }, k8sOpts);
    }
    this.grafanaUrl = host ? `https://${host}` : undefined;
    this.registerOutputs({ status: this.release.status, grafanaUrl: this.grafanaUrl });
  }
}
