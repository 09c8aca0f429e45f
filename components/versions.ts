/**
 * Every pinned version the platform deploys, in one place: a version bump is a one-line diff here.
 * Charts are pulled from their upstream Helm repositories at exactly these versions.
 */

export interface ChartPin {
  /** Helm repository URL the chart is fetched from, or an `oci://` registry path that holds the chart. */
  readonly repository: string;
  readonly chart: string;
  /** Exact chart version; ranges are never used. */
  readonly version: string;
}

export const charts = {
  argoCd: { repository: "https://argoproj.github.io/argo-helm", chart: "argo-cd", version: "10.1.1" },
  argoWorkflows: { repository: "https://argoproj.github.io/argo-helm", chart: "argo-workflows", version: "1.0.18" },
  // Final release: ingress-nginx was retired upstream in March 2026 (docs/known-limits.md).
  ingressNginx: { repository: "https://kubernetes.github.io/ingress-nginx", chart: "ingress-nginx", version: "4.15.1" },
  // The Gateway API and Envoy Gateway CRDs as their own release (the controller chart's CRD subchart is
  // never upgraded by Helm). Envoy Gateway v1.9.0 bundles Gateway API v1.6.1; OCI versions keep their "v".
  gatewayCrds: { repository: "oci://docker.io/envoyproxy", chart: "gateway-crds-helm", version: "v1.9.0" },
  // The default front door (supported until 2027-02-14), installed with its CRD subchart off.
  envoyGateway: { repository: "oci://docker.io/envoyproxy", chart: "gateway-helm", version: "v1.9.0" },
  // The LLM API (one base URL, routing by "model"). v1.1.0 lists Envoy Gateway "v1.8.1+" as compatible
  // (site/docs/compatibility.md; its CI runs v1.8.1 and Envoy Gateway's main); v1.8 is end-of-life, so
  // the pair is v1.1.0 on v1.9.0, with 1.9's mergeBackends left off (ai-gateway#2507).
  aiGatewayCrds: { repository: "oci://docker.io/envoyproxy", chart: "ai-gateway-crds-helm", version: "v1.1.0" },
  aiGateway: { repository: "oci://docker.io/envoyproxy", chart: "ai-gateway-helm", version: "v1.1.0" },
  certManager: { repository: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.1" },
  kubePrometheusStack: {
    repository: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "88.5.3",
  },
  // The operator CRDs on their own, so that every ServiceMonitor and PrometheusRule waits only on them;
  // app version v0.93.1 matches kube-prometheus-stack 88.5.3's operator.
  prometheusOperatorCrds: {
    repository: "https://prometheus-community.github.io/helm-charts",
    chart: "prometheus-operator-crds",
    version: "31.0.1",
  },
  eckOperator: { repository: "https://helm.elastic.co", chart: "eck-operator", version: "3.5.0" },
  fluentBit: { repository: "https://fluent.github.io/helm-charts", chart: "fluent-bit", version: "0.58.1" },
  nvidiaDevicePlugin: { repository: "https://nvidia.github.io/k8s-device-plugin", chart: "nvidia-device-plugin", version: "0.20.0" },
  dcgmExporter: { repository: "https://nvidia.github.io/dcgm-exporter/helm-charts", chart: "dcgm-exporter", version: "4.8.2" },
  keda: { repository: "https://kedacore.github.io/charts", chart: "keda", version: "2.20.2" },
  // appVersion 1.35.0; the image tag is set per cluster minor below (clusterAutoscalerImageTags).
  clusterAutoscaler: { repository: "https://kubernetes.github.io/autoscaler", chart: "cluster-autoscaler", version: "9.59.0" },
} as const satisfies Record<string, ChartPin>;

const vllmImage = "docker.io/vllm/vllm-openai:v0.29.0";

/** Container images the platform itself runs (chart images are pinned by the chart versions above). */
export const images = {
  /** Runs the small HTTP steps: the pipeline's notifications and deploy, the ILM retention Job. */
  curl: "docker.io/curlimages/curl:8.17.0",
  /** vLLM's OpenAI-compatible server; also the default in charts/llm-serving/values.yaml (a test keeps them equal). */
  vllm: vllmImage,
  /**
   * The llama.cpp server, CPU build (multi-arch): serves GGUF models on machines without a GPU (the
   * local stack). Tags are `server-b<build>`, one per upstream build; also the default in
   * charts/llm-serving/values.yaml (a test keeps them equal).
   */
  llamacppServer: "ghcr.io/ggml-org/llama.cpp:server-b11206",
  /**
   * The model registry's tracking server. The `-full` variant (published from MLflow 3.9.0 on) carries
   * the PostgreSQL drivers and the S3 (boto3) and GCS clients the server needs for its backend and
   * artifact stores; the plain tag has none of them.
   */
  mlflow: "ghcr.io/mlflow/mlflow:v3.17.0-full",
  /**
   * The model registry's database: the official image. From 18 on its PGDATA is
   * /var/lib/postgresql/18/docker, a subdirectory of the volume mounted at /var/lib/postgresql.
   */
  postgres: "docker.io/library/postgres:18.6",
  /** Copies weights, datasets and models between s3://, gs:// and local disk (serving's model loader, pipeline steps). */
  rclone: "docker.io/rclone/rclone:1.75.1",
  /**
   * The LLM API's rate-limit counters (Envoy Gateway's global rate limit): the official image, at the
   * tag the pinned Argo CD chart (10.1.1) ships for its own Redis.
   */
  redis: "docker.io/library/redis:8.2.3-alpine",
  /**
   * Trains and evaluates in the ML pipeline. The serving image itself: it carries CUDA, PyTorch and
   * transformers, and a model trained with it is known to load in the runtime that serves it.
   */
  trainer: vllmImage,
} as const;

/** Elastic Stack version of the Elasticsearch and Kibana resources ECK runs (ECK 3.x runs 9.x; newest 9.x patch seen). */
export const elasticStackVersion = "9.5.5";

/** Kubernetes minor versions each managed service accepts; the stack config must pick one of these. */
export const kubernetesVersions = {
  eks: ["1.32", "1.33", "1.34", "1.35"],
  gke: ["1.32", "1.33", "1.34", "1.35"],
  /** k3s release the provision mode installs (also the version the config defaults to). */
  k3s: ["v1.34.2+k3s1"],
} as const;

/**
 * cluster-autoscaler image per EKS minor: upstream supports only the autoscaler minor that matches the
 * cluster's. Chart 9.59.0 defaults to v1.35.0; older minors use that minor's first release.
 */
export const clusterAutoscalerImageTags: Readonly<Record<(typeof kubernetesVersions.eks)[number], string>> = {
  "1.32": "v1.32.0",
  "1.33": "v1.33.0",
  "1.34": "v1.34.0",
  "1.35": "v1.35.0",
};

/**
 * EKS managed add-on versions per cluster minor. Pinned so that an upgrade is a reviewed diff rather
 * than whatever EKS defaults to that day. Not checked against `aws eks describe-addon-versions`
 * (no AWS access offline): run it before the first `pulumi up` and correct any that EKS rejects.
 */
export const eksAddonVersions: Readonly<Record<(typeof kubernetesVersions.eks)[number], Readonly<Record<EksAddonName, string>>>> = {
  "1.32": { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.32.6-eksbuild.8", coredns: "v1.11.4-eksbuild.14", "aws-ebs-csi-driver": "v1.48.0-eksbuild.1" },
  "1.33": { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.33.3-eksbuild.4", coredns: "v1.12.1-eksbuild.2", "aws-ebs-csi-driver": "v1.48.0-eksbuild.1" },
  "1.34": { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.34.0-eksbuild.2", coredns: "v1.12.3-eksbuild.1", "aws-ebs-csi-driver": "v1.48.0-eksbuild.1" },
  "1.35": { "vpc-cni": "v1.20.4-eksbuild.1", "kube-proxy": "v1.35.0-eksbuild.2", coredns: "v1.13.1-eksbuild.1", "aws-ebs-csi-driver": "v1.48.0-eksbuild.1" },
};

export type EksAddonName = "vpc-cni" | "kube-proxy" | "coredns" | "aws-ebs-csi-driver";

/** Stack config default for the Kubernetes version on managed clusters. */
export const defaultKubernetesVersion = "1.34";
export * from "./cloud-catalog";
