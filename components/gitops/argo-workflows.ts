import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRelease } from "../addons/chart-release";
import type { ObjectStore, WorkloadIdentity } from "../cluster/types";
import { gatewayRoute, helmName, usesIngressObjects } from "../ingress/route";
import type { IngressLayer, IngressRouting } from "../ingress/types";
import { charts } from "../versions";

export interface ArgoWorkflowsArgs {
  readonly provider: k8s.Provider;
  readonly identity: WorkloadIdentity;
  /** Artifact repository; without it workflows cannot pass artifacts between steps. */
  readonly objectStore?: ObjectStore;
  /** Serves the UI at `ingress.host("workflows")` with TLS. */
  readonly ingress?: IngressLayer;
  /** @default "argo" */
  readonly namespace?: string;
  /** Where pipelines run, under a service account of their own. @default "ml-pipelines" */
  readonly workflowNamespace?: string;
  /**
   * The Prometheus Operator CRDs: with them the controller serves its metrics (and the workflows'
   * custom metrics, such as the evaluation score) and a ServiceMonitor scrapes them. @default not scraped
   */
  readonly monitoringCrds?: pulumi.Resource;
}

/** Names other components rely on. */
export const argoWorkflowsConventions = {
  runnerServiceAccount: "pipeline-runner",
  serverServiceAccount: "argo-server",
  host: "workflows",
} as const;

/**
 * The `artifactRepository` chart values for the stack's bucket; pure. Keys live under `<repo>/<workflow>/<pod>`.
 * No `archiveLogs` here: set in the controller's repository it switches log archiving on for every
 * step and no template can turn it off (Argo's IsArchiveLogs: controller on > template > workflow),
 * so a step whose service account has no bucket identity would fail uploading its logs. The
 * pipeline asks for archived logs itself and turns them off for such steps.
 */
export function artifactRepositoryValues(store: ObjectStore | undefined): Record<string, unknown> {
  if (!store) return {};
  switch (store.kind) {
    case "gcs":
      // No key secret: the executor picks up Workload Identity from the metadata server.
      return { artifactRepository: { gcs: { bucket: store.bucket } } };
    case "s3":
      return {
        artifactRepository: {
          s3: { bucket: store.bucket, endpoint: "s3.amazonaws.com", ...(store.region ? { region: store.region } : {}), useSDKCreds: true },
        },
      };
    case "s3-compatible":
      // No artifact repository: its pods would need static access keys for such a store, and the
      // platform takes none (config validation refuses the pipeline on these stacks for the same reason).
      return {};
  }
}

/** Chart values; pure, so tests can check every key against the pinned chart. */
export function argoWorkflowsValues(args: {
  workflowNamespace: string;
  ingress: IngressRouting | undefined;
  objectStore: ObjectStore | undefined;
  serverAnnotations: pulumi.Input<Record<string, string>>;
  /** Serve the controller's metrics and scrape them with a ServiceMonitor. @default false */
  scraped?: boolean;
}): Record<string, unknown> {
  const host = args.ingress?.host(argoWorkflowsConventions.host);
  return {
    // The chart's default (full: true) installs the CRDs from a pre-install hook Job that downloads
    // them from GitHub at install time: no install without egress to GitHub and registry.k8s.io, and
    // none from a chart mirror. The minimal CRDs ship inside the chart and install with it; the
    // program validates its WorkflowTemplate against the full schema offline (test/workflows.test.ts).
    crds: { install: true, keep: true, full: false },
    // Credentials come from the pods' cloud identity, never from static keys in a Secret.
    useStaticCredentials: false,
    ...artifactRepositoryValues(args.objectStore),
    controller: {
      workflowNamespaces: [args.workflowNamespace],
      ...(args.scraped
        ? {
            metricsConfig: {
              enabled: true,
              // Argo's Prometheus exporter puts "argo_workflows_" before custom metric names: the
              // platform's own (llm_platform_*) are stored under the names its rules and dashboards read.
              metricRelabelings: [{ sourceLabels: ["__name__"], regex: "argo_workflows_(llm_platform_.+)", targetLabel: "__name__", replacement: "$1", action: "replace" }],
              // Unset, a custom metric lives until the controller restarts: a removed version's last score
              // would alert forever, and a broken evaluation would leave an old score standing. A day and
              // an hour keeps a daily evaluation's score between its runs.
              metricsTTL: "25h",
            },
            serviceMonitor: { enabled: true },
          }
        : {}),
    },
    // The runner service account and its Role are ours (least privilege, cloud identity annotations).
    workflow: { serviceAccount: { create: false }, rbac: { create: false } },
    server: {
      // "client": every request carries the user's own Kubernetes token; "server" mode would let
      // anyone who reaches the UI act as the server's service account.
      authModes: ["client"],
      serviceAccount: { name: argoWorkflowsConventions.serverServiceAccount, annotations: args.serverAnnotations },
      // Behind the Gateway the program's own HTTPRoute takes the Ingress's place.
      ingress: host && usesIngressObjects(args.ingress)
        ? {
            enabled: true,
            ingressClassName: args.ingress.className,
            hosts: [host],
            annotations: args.ingress.tls(host).annotations,
            tls: [{ hosts: [host], secretName: args.ingress.tls(host).secretName }],
          }
        : { enabled: false },
    },
  };
}

/**
 * Argo Workflows: the server in client-token auth mode, a namespace for pipelines with a
 * least-privilege service account, and the stack's bucket as artifact repository through the
 * cluster's workload identity.
 */
export class ArgoWorkflows extends pulumi.ComponentResource {
  /** Installs the CRDs: WorkflowTemplates wait on this and nothing else. */
  readonly release: k8s.helm.v3.Release;
  readonly workflowNamespace: pulumi.Output<string>;
  readonly runnerServiceAccount: pulumi.Output<string>;
  readonly url?: pulumi.Output<string>;

  constructor(name: string, args: ArgoWorkflowsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:gitops:ArgoWorkflows", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const namespaceName = args.namespace ?? "argo";
    const workflowNamespaceName = args.workflowNamespace ?? "ml-pipelines";
    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespaceName } }, k8sOpts);
    const workflowNamespace = new k8s.core.v1.Namespace(`${name}-pipelines-ns`, { metadata: { name: workflowNamespaceName } }, k8sOpts);
    this.workflowNamespace = workflowNamespace.metadata.name;

    const { runnerServiceAccount, serverServiceAccount } = argoWorkflowsConventions;
    const runnerAnnotations = args.identity.grant(
      `${name}-runner`,
      { namespace: workflowNamespaceName, serviceAccountName: runnerServiceAccount, bucketAccess: "readwrite" },
      this,
    );
    // The server only reads artifacts (logs, outputs) to show them in the UI.
    const serverAnnotations = args.identity.grant(
      `${name}-server`,
      { namespace: namespaceName, serviceAccountName: serverServiceAccount, bucketAccess: "read" },
      this,
    );
    const runner = new k8s.core.v1.ServiceAccount(
      `${name}-runner`,
      { metadata: { name: runnerServiceAccount, namespace: this.workflowNamespace, annotations: runnerAnnotations } },
      k8sOpts,
    );
    this.runnerServiceAccount = runner.metadata.name;
    // All the executor needs: report each step's outputs back to the controller.
    const role = new k8s.rbac.v1.Role(
      `${name}-runner`,
      {
        metadata: { name: runnerServiceAccount, namespace: this.workflowNamespace },
        rules: [{ apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] }],
      },
      k8sOpts,
    );
    new k8s.rbac.v1.RoleBinding(
      `${name}-runner`,
      {
        metadata: { name: runnerServiceAccount, namespace: this.workflowNamespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: runner.metadata.name, namespace: this.workflowNamespace }],
      },
      k8sOpts,
    );

    this.release = chartRelease(
      `${name}-release`,
      charts.argoWorkflows,
      {
        namespace: namespace.metadata.name,
        values: argoWorkflowsValues({
          workflowNamespace: workflowNamespaceName,
          ingress: args.ingress,
          objectStore: args.objectStore,
          serverAnnotations,
          scraped: args.monitoringCrds !== undefined,
        }),
      },
      // The chart's Ingress needs the ingress controller's admission webhook to answer; its
      // ServiceMonitor is rendered only once the cluster knows the kind (Capabilities).
      { ...k8sOpts, dependsOn: [...(usesIngressObjects(args.ingress) ? [args.ingress.ready] : []), ...(args.monitoringCrds ? [args.monitoringCrds] : [])] },
    );
    if (args.ingress) {
      const host = args.ingress.host(argoWorkflowsConventions.host);
      // The chart names the server Service <release>-argo-workflows-server; it serves HTTP on 2746.
      const service = helmName(`${name}-release-argo-workflows-server`);
      gatewayRoute(`${name}-route`, args.ingress, { namespace: namespace.metadata.name, service, port: 2746, host }, k8sOpts);
      this.url = pulumi.output(`https://${host}`);
    }
    this.registerOutputs({ url: this.url, workflowNamespace: this.workflowNamespace });
  }
}
