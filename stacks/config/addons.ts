import { z } from "zod";
import { leLabel, vllmTtftBuckets } from "../../components/monitoring/metric-names";
import { gibibytes, positiveInt } from "./common";
import { driftThresholdFields, driftWindowFields, evaluation } from "./lifecycle";

const enabled = (byDefault: boolean) => z.boolean().default(byDefault);

export const addons = z
  .strictObject({
    ingress: z
      .strictObject({
        enabled: enabled(true),
        implementation: z
          .enum(["envoy-gateway", "ingress-nginx"])
          .default("envoy-gateway")
          .describe(
            "The front door. \"envoy-gateway\": Kubernetes Gateway API with Envoy Gateway (one Gateway, an HTTPS listener per host, HTTPRoutes). \"ingress-nginx\": the retired ingress-nginx (final release, no security fixes), for stacks still migrating.",
          ),
        replicas: positiveInt.max(10).default(2).describe("Replicas of the ingress-nginx controller, or of the Envoy proxies."),
        serviceType: z.enum(["LoadBalancer", "NodePort"]).default("LoadBalancer").describe("\"LoadBalancer\" on clouds; \"NodePort\" for k3s without a load balancer."),
      })
      .prefault({}),
    certManager: z.strictObject({ enabled: enabled(true) }).prefault({}),
    argocd: z
      .strictObject({
        enabled: enabled(true),
        appOfApps: z
          .strictObject({
            // No repository credential is created, so only a URL Argo CD can fetch anonymously works.
            repoUrl: z.string().regex(/^https:\/\/\S+$/, "an https:// repository URL that Argo CD can read without credentials (SSH URLs need a repository credential, which the platform does not create)"),
            path: z.string().min(1).default("apps"),
            targetRevision: z.string().min(1).default("main"),
          })
          .optional().describe("Optional app-of-apps root Application."),
      })
      .prefault({}),
    argoWorkflows: z
      .strictObject({
        enabled: enabled(true),
        pipeline: enabled(true).describe("Install the ML pipeline WorkflowTemplates."),
      })
      .prefault({}),
    mlflow: z
      .strictObject({
        enabled: z
          .boolean()
          .optional()
          .describe("The model registry and tracking server (MLflow on its own PostgreSQL, artifacts in the stack's bucket) at https://mlflow.<domain>. Unset: on exactly where the ML pipeline is on, which logs to it."),
        databaseStorageGiB: gibibytes(1, 1024).default(10).describe("Volume of the registry's PostgreSQL."),
      })
      .prefault({}),
    monitoring: z
      .strictObject({
        enabled: enabled(true),
        retentionDays: z.int().min(1).max(365).default(15).describe("Prometheus retention in days."),
        prometheusStorageGiB: gibibytes(10, 4096).default(50),
        alertmanagerStorageGiB: gibibytes(1, 100).default(5).describe("Alertmanager keeps silences and notification state here."),
        slo: z
          .strictObject({
            availability: z.number().gt(0.9).lt(1).default(0.995).describe("Fraction of requests that must succeed."),
            ttftSeconds: z
              .number()
              .refine((value) => (vllmTtftBuckets as readonly number[]).includes(value), {
                message: `must be a bucket boundary of vLLM's TTFT histogram, since only those can be counted exactly: ${vllmTtftBuckets.filter((b) => b >= 0.1 && b <= 60).map(leLabel).join(", ")}`,
              })
              .default(2.5)
              .describe("Time-to-first-token threshold in seconds; one of vLLM's TTFT histogram buckets (0.5, 1.0, 2.5, 5.0, ...)."),
            ttftTarget: z.number().gt(0.5).lt(1).default(0.95).describe("Fraction of requests that must meet the TTFT threshold."),
            queueSaturation: positiveInt.default(25).describe("Queue depth per replica that counts as saturation."),
            gpuMemoryPressure: z.number().gt(0.5).lt(1).default(0.95).describe("Fraction of a GPU's memory in use that raises the GPU memory pressure alert."),
          })
          .prefault({}).describe("SLO targets the alerts burn against."),
        drift: z
          .strictObject({
            enabled: enabled(true).describe("Quality drift alerts for vLLM models: the short window against the baseline before it. A model may override the thresholds (models[].drift)."),
            ...driftWindowFields,
            promptTokensRatio: driftThresholdFields.promptTokensRatio.default(2).describe(driftThresholdFields.promptTokensRatio.description!),
            completionTokensRatio: driftThresholdFields.completionTokensRatio.default(2).describe(driftThresholdFields.completionTokensRatio.description!),
            errorRateIncrease: driftThresholdFields.errorRateIncrease.default(0.05).describe(driftThresholdFields.errorRateIncrease.description!),
            ttftRatio: driftThresholdFields.ttftRatio.default(2).describe(driftThresholdFields.ttftRatio.description!),
            minRequests: driftThresholdFields.minRequests.default(100).describe(driftThresholdFields.minRequests.description!),
          })
          .prefault({}).describe("Quality drift alerts (PrometheusRule llm-serving-drift)."),
      })
      .prefault({}),
    evaluation,
    logging: z
      .strictObject({
        enabled: enabled(true),
        elasticsearchNodes: positiveInt.max(9).default(1).describe("1 for dev, 3 or more for HA; 2 cannot keep a quorum."),
        elasticsearchStorageGiB: gibibytes(10, 16384).default(50),
        elasticsearchHeapGiB: z.int().min(1).max(31).default(1).describe("JVM heap; the pod's memory is twice this."),
        retentionDays: z.int().min(1).max(3650).default(7).describe("Days before log indices are deleted (ILM)."),
      })
      .prefault({}),
  })
  .prefault({});

export type AddonsConfig = z.infer<typeof addons>;

/** Whether the stack runs the model registry: as configured, else wherever the pipeline runs. */
export const mlflowEnabled = (addonsConfig: Pick<AddonsConfig, "mlflow" | "argoWorkflows">): boolean =>
  addonsConfig.mlflow.enabled ?? (addonsConfig.argoWorkflows.enabled && addonsConfig.argoWorkflows.pipeline);

/** Whether the stack evaluates its models on schedule: as configured, else where its three parts run (Argo Workflows, the registry, monitoring). */
export const evaluationEnabled = (addonsConfig: Pick<AddonsConfig, "mlflow" | "argoWorkflows" | "monitoring" | "evaluation">): boolean =>
  addonsConfig.evaluation.enabled ?? (addonsConfig.argoWorkflows.enabled && mlflowEnabled(addonsConfig) && addonsConfig.monitoring.enabled);
