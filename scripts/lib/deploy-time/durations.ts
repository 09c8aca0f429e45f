/**
 * Typical create durations for a fresh `pulumi up`, the one table the deploy-time model reads.
 * `published` figures come from the logs and docs named beside them; `assumed` ones are this
 * project's estimate and say why. Update a figure here, with its source, when a real run disagrees.
 */
export const durationsAsOf = "2026-11-29";

export interface Duration {
  readonly seconds: number;
  readonly source: string;
  /** True when no published figure backs it. */
  readonly assumption: boolean;
}

const published = (seconds: number, source: string): Duration => ({ seconds, source, assumption: false });
const assumed = (seconds: number, source: string): Duration => ({ seconds, source: `assumption: ${source}`, assumption: true });

const apiCall = assumed(1, "one API call, nothing to wait for");
const awsApiCall = assumed(2, "one AWS API call; terraform logs show a few seconds");
const gcpIamBinding = assumed(10, "read-modify-write of the project/resource IAM policy, with retries");

/** Per resource type token. */
export const createDurations: Readonly<Record<string, Duration>> = {
  // AWS
  "aws:eks/cluster:Cluster": published(576, "EKS control plane 8.5–10.7 min in terraform logs, ~9 min per AWS (containers-roadmap #1227); midpoint"),
  "aws:eks/nodeGroup:NodeGroup": published(99, "EKS managed node group 1.3–2 min in terraform logs; midpoint"),
  "aws:eks/addon:Addon": published(35, "EKS add-ons 14–56 s in terraform logs; midpoint"),
  "aws:ec2/natGateway:NatGateway": published(108, "NAT gateway ~1.8 min in terraform logs"),
  "aws:kms/key:Key": published(20, "KMS key ~20 s in terraform logs"),
  "aws:ec2/vpc:Vpc": assumed(12, "VPC plus DNS attribute updates"),
  "aws:ec2/subnet:Subnet": assumed(11, "the provider waits for the subnet to be available"),
  "aws:eks/accessEntry:AccessEntry": awsApiCall,
  // The teardown Command (components/cluster/teardown.ts) runs only on delete; its create stores its inputs.
  "command:local:Command": apiCall,
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": awsApiCall,
  "aws:ec2/internetGateway:InternetGateway": awsApiCall,
  "aws:ec2/routeTable:RouteTable": awsApiCall,
  "aws:ec2/routeTableAssociation:RouteTableAssociation": awsApiCall,
  "aws:ec2/eip:Eip": awsApiCall,
  "aws:ec2/vpcEndpoint:VpcEndpoint": assumed(8, "a gateway endpoint is one API call plus route table entries; no ENI to wait for"),
  "aws:ec2/launchTemplate:LaunchTemplate": awsApiCall,
  "aws:iam/role:Role": awsApiCall,
  "aws:iam/rolePolicy:RolePolicy": awsApiCall,
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": awsApiCall,
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": awsApiCall,
  "aws:kms/alias:Alias": awsApiCall,
  "aws:cloudwatch/logGroup:LogGroup": awsApiCall,
  "aws:autoscaling/tag:Tag": awsApiCall,
  "aws:s3/bucket:Bucket": assumed(4, "bucket create plus the provider's read-back of its settings"),
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": awsApiCall,
  "aws:s3/bucketPolicy:BucketPolicy": awsApiCall,
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": awsApiCall,
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": awsApiCall,
  "aws:s3/bucketVersioning:BucketVersioning": awsApiCall,
  // GCP
  "gcp:container/cluster:Cluster": published(210, "GKE cluster creation 2–5 min in published runs; midpoint (removing the default node pool afterwards is not counted)"),
  "gcp:container/nodePool:NodePool": published(248, "GKE node pools 1.75–6.5 min (terraform-provider-google #1643); midpoint"),
  "gcp:compute/network:Network": assumed(25, "global operation; terraform logs typically 20–30 s"),
  "gcp:compute/subnetwork:Subnetwork": assumed(25, "regional operation with secondary ranges"),
  "gcp:compute/router:Router": assumed(12, "regional operation"),
  "gcp:compute/routerNat:RouterNat": assumed(25, "patches the router, a regional operation"),
  "gcp:compute/firewall:Firewall": assumed(12, "global operation"),
  "gcp:kms/keyRing:KeyRing": assumed(2, "one API call"),
  "gcp:kms/cryptoKey:CryptoKey": assumed(2, "one API call"),
  "gcp:serviceaccount/account:Account": assumed(4, "create, then the provider waits for the account to be readable"),
  "gcp:storage/bucket:Bucket": assumed(2, "one API call"),
  "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": gcpIamBinding,
  "gcp:projects/iAMMember:IAMMember": gcpIamBinding,
  "gcp:serviceaccount/iAMMember:IAMMember": gcpIamBinding,
  "gcp:storage/bucketIAMMember:BucketIAMMember": gcpIamBinding,
  // Kubernetes: the provider awaits Ingress (load balancer status) and Job (completion); it does not
  // await custom resources, so an Elasticsearch CR is "created" as soon as the API server stores it.
  "kubernetes:networking.k8s.io/v1:Ingress": assumed(15, "the provider waits for the controller to publish the load balancer address"),
  "kubernetes:batch/v1:Job": assumed(120, "the provider waits for completion; the log-retention Job retries until Elasticsearch answers"),
  "kubernetes:core/v1:Namespace": apiCall,
  "kubernetes:core/v1:Secret": apiCall,
  "kubernetes:core/v1:ConfigMap": apiCall,
  "kubernetes:core/v1:ServiceAccount": apiCall,
  "kubernetes:rbac.authorization.k8s.io/v1:Role": apiCall,
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": apiCall,
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": apiCall,
  "kubernetes:storage.k8s.io/v1:StorageClass": apiCall,
  "kubernetes:scheduling.k8s.io/v1:PriorityClass": apiCall,
  "kubernetes:core/v1:ResourceQuota": apiCall,
  "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch": apiCall,
  // The program sets pulumi.com/waitFor on Kibana (health green), so the provider waits for Elasticsearch
  // to form and Kibana to connect to it.
  "kubernetes:kibana.k8s.elastic.co/v1:Kibana": assumed(180, "waitFor health=green: Elasticsearch pods pull and form a cluster (~2 min), then Kibana starts (~1 min)"),
  "kubernetes:cert-manager.io/v1:ClusterIssuer": apiCall,
  // The private CA's root waits for Ready (pulumi.com/waitFor): cert-manager signs it itself in about a second.
  "kubernetes:cert-manager.io/v1:Certificate": assumed(5, "waitFor condition=Ready: the self-signed root is signed in-process by cert-manager (no ACME)"),
  // The Gateway's proxies and their load balancer come up after `pulumi up` returns: the provider does
  // not await custom resources, and Envoy Gateway creates them from the Gateway.
  "kubernetes:gateway.networking.k8s.io/v1:GatewayClass": apiCall,
  "kubernetes:gateway.networking.k8s.io/v1:Gateway": assumed(150, "waitFor Programmed: the cloud creates the proxies' load balancer and Envoy Gateway publishes its address (an NLB takes 2-3 min)"),
  "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": apiCall,
  "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy": apiCall,
  "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy": apiCall,
  "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy": apiCall,
  "kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy": apiCall,
  "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend": apiCall,
  "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute": apiCall,
  "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend": apiCall,
  "kubernetes:aigateway.envoyproxy.io/v1beta1:BackendSecurityPolicy": apiCall,
  "kubernetes:monitoring.coreos.com/v1:PodMonitor": apiCall,
  "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate": apiCall,
  "kubernetes:argoproj.io/v1alpha1:CronWorkflow": apiCall,
  "kubernetes:monitoring.coreos.com/v1:PrometheusRule": apiCall,
  // The model registry: the provider awaits a Deployment's rollout and a StatefulSet's ready replicas,
  // and a Service until it has a ready endpoint (as long as its workload).
  "kubernetes:apps/v1:Deployment": assumed(90, "rollout: image pull (MLflow's -full image is over 1 GB) and readiness after its schema migration"),
  "kubernetes:apps/v1:StatefulSet": assumed(60, "volume provisioning, postgres image pull and initdb"),
  "kubernetes:core/v1:Service": assumed(60, "waits for a ready endpoint: as long as the workload behind it"),
  // Providers and random values are local computations.
  "pulumi:providers:aws": assumed(0, "no cloud call"),
  "pulumi:providers:gcp": assumed(0, "no cloud call"),
  "pulumi:providers:kubernetes": assumed(0, "no cloud call"),
  "pulumi:providers:command": assumed(0, "no cloud call"),
  "pulumi:providers:random": assumed(0, "no cloud call"),
  "random:index/randomPassword:RandomPassword": assumed(0, "computed locally"),
};

/** Used when a type is not in the table, per package; the report lists which resources got it. */
export const fallbackDurations: Readonly<Record<string, Duration>> = {
  kubernetes: assumed(1, "a Kubernetes object the provider does not await"),
  aws: assumed(5, "an AWS resource not in the table"),
  gcp: assumed(10, "a GCP resource not in the table"),
  other: assumed(5, "a resource not in the table"),
};

/** k3s installs over SSH (command:remote:Command), told apart by the script's first line. */
export const k3sCommandDurations = {
  server: assumed(60, "k3s install script: download (~70 MB) and start a server, join embedded etcd"),
  agent: assumed(45, "k3s install script: download and start an agent"),
  other: assumed(2, "one short command over SSH"),
} as const;

/**
 * Helm releases per chart name, before any extra wait below. `helm.v3.Release` waits like
 * `helm install --wait` (also when `atomic`): Deployments, StatefulSets and DaemonSets ready, PVCs
 * bound, LoadBalancer Services addressed, hook Jobs complete; other Jobs only with `waitForJobs`,
 * which the program does not set.
 */
export const chartDurations: Readonly<Record<string, Duration>> = {
  "prometheus-operator-crds": assumed(10, "CRDs only"),
  "cert-manager": assumed(90, "three Deployments, then the startupapicheck hook waits for the webhook"),
  "gateway-crds-helm": assumed(10, "CRDs only"),
  "gateway-helm": assumed(45, "controller Deployment and the certgen hook Job; the proxies start from the Gateway later"),
  "ai-gateway-crds-helm": assumed(10, "CRDs only"),
  "ai-gateway-helm": assumed(30, "one controller Deployment; its webhook certificate is rendered by the chart"),
  "ingress-nginx": assumed(60, "controller Deployment and the admission-webhook hook Jobs, before the load balancer wait"),
  "kube-prometheus-stack": assumed(180, "operator, Grafana, kube-state-metrics, admission hook Jobs, Prometheus and Alertmanager with volumes"),
  "eck-operator": assumed(45, "one StatefulSet"),
  "fluent-bit": assumed(60, "a DaemonSet on every node"),
  "argo-cd": assumed(120, "seven workloads including Redis and the repo server"),
  "argo-workflows": assumed(60, "server and controller Deployments"),
  keda: assumed(60, "operator, metrics server and admission webhooks"),
  "cluster-autoscaler": assumed(45, "one Deployment"),
  "nvidia-device-plugin": assumed(30, "a DaemonSet; on a pool with no node yet it is ready at once"),
  "dcgm-exporter": assumed(30, "a DaemonSet on GPU nodes only"),
};
export const unknownChartDuration = assumed(90, "a chart not in the table");

/** Extra waits that a release adds on top of its chart figure. */
export const waits = {
  /** A Service of type LoadBalancer: Helm's wait needs its address (per platform). */
  loadBalancer: {
    eks: assumed(150, "ELB provisioning before the Service gets its hostname"),
    gke: assumed(60, "L4 forwarding rule before the Service gets its address"),
    k3s: assumed(5, "ServiceLB (klipper) binds host ports"),
  },
  /** cluster-autoscaler adds a GPU node to an empty pool: reaction, boot, join, driver and device plugin. */
  gpuNodeScaleUp: assumed(300, "scale-up from zero: ~30 s to react, node boot and join as for a node group (1.3–2 min), GPU driver and device plugin"),
  /** The vLLM image: ~12 GB compressed. */
  vllmImagePull: published(300, "vLLM images are ~12 GB compressed; published EKS runs pull 15–20 GB images in 4–6 min; midpoint"),
  /** Download plus load of the weights from Hugging Face, per GB. */
  /** A release with `skipAwait` (and not `atomic`): applied, not waited for. */
  releaseWithoutWait: assumed(10, "skipAwait: the objects are applied and not waited for"),
  /** Weights size when the model id names no parameter count. */
} as const;

/** A Release's `timeout` when the program sets none: Helm's `--timeout` default of 5m0s. */
export const defaultReleaseTimeoutSeconds = 300;
