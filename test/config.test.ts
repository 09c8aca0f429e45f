import { describe, expect, it } from "vitest";
import { replicaRequests } from "../components/serving/values";
import { eksGpuInstances } from "../stacks/config/cluster-eks";
import { fitsNode } from "../stacks/config/rules";
import { checkStackName, didYouMean, keyPath } from "../stacks/config/validate";
import { errorsOf, kubeconfig, secretsFor, sshPrivateKey, validateStack, type Mutation } from "./support/config";

/** A valid k3s GPU pool, set into the local (k3s) stack to test k3s pool mistakes. */
const k3sPool = { name: "l4", nodeSelector: { "llm-platform.io/gpu-pool": "l4" }, gpusPerNode: 1, nodes: 2 };

describe("the committed stack files", () => {
  it.each(["dev", "prod", "local", "k3s-lab"])("%s is valid", (stack) => {
    expect(errorsOf(validateStack(stack, [], secretsFor(stack)))).toEqual([]);
  });
});

describe("stack names", () => {
  it("accept the committed stacks and reject names that cannot be part of cloud resource names", () => {
    for (const stack of ["dev", "prod", "gke-dev", "k3s-lab", "local"]) expect(checkStackName(stack)).toEqual([]);
    for (const stack of ["Prod", "dev.eu", "my_stack", "a-very-long-stack-name-indeed", "-dev"]) {
      expect(checkStackName(stack), stack).toEqual([expect.stringMatching(new RegExp(`^stack name "${stack.replace(".", "\\.")}": must be a lowercase DNS label`))]);
    }
  });
});

describe("serving's default CPU and memory requests", () => {
  it("fit one node of every EKS GPU instance type, the smallest (4 vCPU, 16 GiB) included", () => {
    for (const [type, node] of Object.entries(eksGpuInstances)) expect(fitsNode(replicaRequests(node.gpus), node), type).toBe(true);
    // The old sizing, 4 CPU and 16 GiB per GPU, could never be scheduled on a g6.xlarge.
    expect(fitsNode({ cpu: 4, memoryGiB: 16 }, eksGpuInstances["g6.xlarge"]!)).toBe(false);
  });
});

describe("key paths", () => {
  it("render like the Pulumi config key plus a path", () => {
    expect(keyPath(["cluster", "gpuPools", 0, "maxSize"])).toBe("llm-platform:cluster.gpuPools[0].maxSize");
  });
  it("suggest the closest known key for a typo", () => {
    expect(didYouMean("gpuPool", ["gpuPools", "systemPool", "provider"])).toBe("gpuPools");
    expect(didYouMean("zzzzzz", ["gpuPools", "provider"])).toBeUndefined();
  });
});

// Each row: a stack, what a user got wrong, the key path the message must name, and words it must contain.
const mistakes: [string, string, Mutation[], string, RegExp][] = [
  ["dev", "misspelled top-level key", [{ set: ["clustr"], to: {} }], "llm-platform:clustr", /unknown key; did you mean "cluster"/],
  ["dev", "LLM API consumer name that is not a DNS label", [{ set: ["serving"], to: { consumers: [{ name: "Team A" }] } }], "llm-platform:serving.consumers[0].name", /got "Team A"/],
  ["dev", "LLM API token budget of zero", [{ set: ["serving"], to: { consumers: [{ name: "team-a", tokensPerHour: 0 }] } }], "llm-platform:serving.consumers[0].tokensPerHour", /got 0; must be >= 1/],
  ["dev", "two LLM API consumers with one name", [{ set: ["serving"], to: { consumers: [{ name: "team-a" }, { name: "team-a" }] } }], "llm-platform:serving.consumers[1].name", /duplicate consumer name "team-a"/],
  [
    "dev",
    "LLM API consumers on the ingress-nginx front door",
    [{ set: ["serving"], to: { consumers: [{ name: "team-a" }] } }, { set: ["addons", "ingress", "implementation"], to: "ingress-nginx" }],
    "llm-platform:serving.consumers",
    /per-consumer keys need the Gateway front door/,
  ],
  ["dev", "misspelled nested key", [{ set: ["cluster", "gpuPool"], to: [] }], "llm-platform:cluster.gpuPool", /did you mean "gpuPools"/],
  ["dev", "misspelled add-on", [{ set: ["addons", "argcd"], to: { enabled: true } }], "llm-platform:addons.argcd", /did you mean "argocd"/],
  ["dev", "unknown key in a model", [{ set: ["models", 0, "gpus"], to: 2 }], "llm-platform:models[0].gpus", /unknown key/],
  ["dev", "unknown cluster provider", [{ set: ["cluster", "provider"], to: "aks" }], "llm-platform:cluster.provider", /"eks", "gke", "k3s"/],
  ["dev", "unknown environment", [{ set: ["environment"], to: "qa" }], "llm-platform:environment", /allowed: "dev", "staging", "prod"/],
  ["dev", "missing environment", [{ remove: ["environment"] }], "llm-platform:environment", /got nothing/],
  ["local", "negative GPU node count", [{ set: ["cluster", "gpuPools"], to: [{ ...k3sPool, nodes: -1 }] }], "llm-platform:cluster.gpuPools[0].nodes", /got -1; must be >= 1/],
  ["dev", "fractional replica count", [{ set: ["models", 0, "maxReplicas"], to: 1.5 }], "llm-platform:models[0].maxReplicas", /got 1.5/],
  ["dev", "string where a number goes", [{ set: ["addons", "monitoring", "retentionDays"], to: "15d" }], "llm-platform:addons.monitoring.retentionDays", /expected number/],
  ["dev", "GPU count that is not a power of two", [{ set: ["models", 0, "gpuCount"], to: 3 }], "llm-platform:models[0].gpuCount", /got 3/],
  ["dev", "model on a pool that does not exist", [{ set: ["models", 0, "gpuPool"], to: "h100" }], "llm-platform:models[0].gpuPool", /no GPU pool named "h100"; cluster.gpuPools has: l4/],
  ["local", "serving without any GPU pool", [{ set: ["models"], to: [{ name: "m", engine: "vllm", model: "x/y", gpuPool: "l4" }] }], "llm-platform:models[0].gpuPool", /cluster.gpuPools is empty/],
  ["dev", "model larger than a node", [{ set: ["models", 0, "gpuCount"], to: 2 }], "llm-platform:models[0].gpuCount", /do not fit on one node/],
  ["dev", "replica requests larger than the pool's first instance type", [{ set: ["models", 0, "requests"], to: { cpu: 6, memoryGiB: 24 } }], "llm-platform:models[0].gpuPool", /6 CPU and 24 GiB \(models\[\]\.requests\), which do not fit a g6\.xlarge node \(cluster\.gpuPools\[0\]\.instanceTypes\[0\]: 4 vCPU, 16 GiB/],
  ["prod", "replica requests larger than a later instance type of the pool", [{ set: ["cluster", "gpuPools", 0, "instanceTypes"], to: ["g6e.24xlarge", "g6e.12xlarge"] }, { set: ["models", 0, "requests"], to: { cpu: 60, memoryGiB: 100 } }], "llm-platform:models[0].gpuPool", /do not fit a g6e\.12xlarge node \(cluster\.gpuPools\[0\]\.instanceTypes\[1\]: 48 vCPU, 384 GiB/],
  ["dev", "gated model without a Hugging Face token", [{ set: ["models", 0, "model"], to: "meta-llama/Llama-3.2-1B-Instruct" }], "llm-platform:hfToken", /got nothing; required because models\[0\]\.model "meta-llama\/Llama-3\.2-1B-Instruct" is gated.*pulumi config set --secret hfToken/],
  ["dev", "Gemma without a Hugging Face token", [{ set: ["models", 0, "model"], to: "google/gemma-3-4b-it" }], "llm-platform:hfToken", /models\[0\]\.model "google\/gemma-3-4b-it" is gated/],
  ["dev", "more replicas than GPUs", [{ set: ["models", 0, "maxReplicas"], to: 5 }], "llm-platform:models[0].maxReplicas", /exceed pool "l4"/],
  ["dev", "min replicas above max", [{ set: ["models", 0, "minReplicas"], to: 3 }], "llm-platform:models[0].minReplicas", /must be <= maxReplicas/],
  ["local", "a CPU model given a GPU pool", [{ set: ["models", 0, "gpuPool"], to: "l4" }], "llm-platform:models[0].gpuPool", /engine "llamacpp" runs on CPU and never takes a GPU; remove gpuPool/],
  ["local", "a CPU model without its GGUF file", [{ remove: ["models", 0, "ggufFile"] }], "llm-platform:models[0].ggufFile", /required with engine "llamacpp".*Qwen\/Qwen2\.5-0\.5B-Instruct-GGUF/],
  ["local", "more CPU threads than the replica's CPU limit", [{ set: ["models", 0, "threads"], to: 8 }], "llm-platform:models[0].threads", /8 is more than the replica's CPU limit \(2, twice requests\.cpu\).*requests\.cpu to at least 4/],
  ["local", "a CPU model without a context size", [{ remove: ["models", 0, "maxModelLen"] }], "llm-platform:models[0].maxModelLen", /required with engine "llamacpp".*model's whole trained context.*2 GiB memory limit/],
  ["local", "a GGUF file that is not one", [{ set: ["models", 0, "ggufFile"], to: "model.bin" }], "llm-platform:models[0].ggufFile", /a GGUF file name/],
  ["dev", "a GGUF file on the vLLM engine", [{ set: ["models", 0, "ggufFile"], to: "m.gguf" }], "llm-platform:models[0].ggufFile", /only used with engine "llamacpp"/],
  ["dev", "CPU threads on the vLLM engine", [{ set: ["models", 0, "threads"], to: 4 }], "llm-platform:models[0].threads", /only used with engine "llamacpp"/],
  ["dev", "a vLLM model without a GPU pool", [{ remove: ["models", 0, "gpuPool"] }], "llm-platform:models[0].gpuPool", /required with engine "vllm".*engine: llamacpp/],
  ["dev", "an unknown engine", [{ set: ["models", 0, "engine"], to: "ollama" }], "llm-platform:models[0].engine", /"vllm", "llamacpp"/],
  ["dev", "duplicate model names", [{ set: ["models", 1], to: { name: "qwen-small", model: "a/b", gpuPool: "l4" } }], "llm-platform:models[1].name", /duplicate model name/],
  ["dev", "model name that is not a DNS label", [{ set: ["models", 0, "name"], to: "Qwen_Small" }], "llm-platform:models[0].name", /lowercase DNS label/],
  ["dev", "domain with uppercase and scheme", [{ set: ["domain"], to: "https://Dev.example.com" }], "llm-platform:domain", /lowercase DNS name/],
  ["dev", "Let's Encrypt without an email", [{ set: ["tls"], to: { issuer: "letsencrypt" } }], "llm-platform:tls.acmeEmail", /required when tls.issuer/],
  ["local", "Let's Encrypt for a private domain", [{ set: ["tls"], to: { issuer: "letsencrypt", acmeEmail: "a@b.io" } }], "llm-platform:tls.issuer", /cannot issue for "llm.localhost"/],
  ["dev", "ingress without cert-manager", [{ set: ["addons", "certManager", "enabled"], to: false }], "llm-platform:addons.certManager.enabled", /every exposed endpoint gets TLS/],
  ["dev", "autoscaling without monitoring", [{ set: ["addons", "monitoring", "enabled"], to: false }], "llm-platform:addons.monitoring.enabled", /autoscales/],
  ["dev", "two Elasticsearch nodes", [{ set: ["addons", "logging", "elasticsearchNodes"], to: 2 }], "llm-platform:addons.logging.elasticsearchNodes", /quorum/],
  ["prod", "prod logging without HA", [{ set: ["addons", "logging", "elasticsearchNodes"], to: 1 }], "llm-platform:addons.logging.elasticsearchNodes", /at least 3/],
  ["dev", "pipeline without Argo Workflows", [{ set: ["addons", "argoWorkflows", "enabled"], to: false }], "llm-platform:addons.argoWorkflows.pipeline", /needs addons.argoWorkflows.enabled/],
  ["local", "ML pipeline without a GPU pool", [{ set: ["addons", "argoWorkflows", "pipeline"], to: true }], "llm-platform:addons.argoWorkflows.pipeline", /trains on a GPU, but cluster.gpuPools is empty/],
  ["k3s-lab", "ML pipeline without object storage", [{ remove: ["cluster", "objectStorage"] }, { set: ["addons", "argoWorkflows", "pipeline"], to: true }], "llm-platform:addons.argoWorkflows.pipeline", /set cluster.objectStorage or pipeline: false/],
  ["k3s-lab", "ML pipeline on an S3-compatible store it has no keys for", [{ set: ["addons", "argoWorkflows", "pipeline"], to: true }], "llm-platform:addons.argoWorkflows.pipeline", /needs a cloud cluster \(eks or gke\).*no access keys are configured.*set pipeline: false/],
  ["dev", "Let's Encrypt without the ingress controller", [{ set: ["tls"], to: { issuer: "letsencrypt", acmeEmail: "a@b.io" } }, { set: ["addons", "ingress", "enabled"], to: false }, { set: ["addons", "certManager", "enabled"], to: true }], "llm-platform:tls.issuer", /HTTP-01 challenges through the ingress controller/],
  ["dev", "app-of-apps with a bad repo URL", [{ set: ["addons", "argocd", "appOfApps"], to: { repoUrl: "ftp://x" } }], "llm-platform:addons.argocd.appOfApps.repoUrl", /an https:\/\/ repository URL/],
  ["dev", "app-of-apps over SSH, with no credential to read it", [{ set: ["addons", "argocd", "appOfApps"], to: { repoUrl: "git@github.com:example/apps.git" } }], "llm-platform:addons.argocd.appOfApps.repoUrl", /got "git@github.com:example\/apps.git"; .*SSH URLs need a repository credential/],
  ["local", "duplicate GPU pool names", [{ set: ["cluster", "gpuPools"], to: [k3sPool, k3sPool] }], "llm-platform:cluster.gpuPools[1].name", /duplicate GPU pool name/],
  ["local", "GPU pool selecting no nodes", [{ set: ["cluster", "gpuPools"], to: [{ ...k3sPool, nodeSelector: {} }] }], "llm-platform:cluster.gpuPools[0].nodeSelector", /at least one label/],
  ["local", "toleration with a bad effect", [{ set: ["cluster", "gpuPools"], to: [{ ...k3sPool, tolerations: [{ key: "nvidia.com/gpu", effect: "NoEntry" }] }] }], "llm-platform:cluster.gpuPools[0].tolerations[0].effect", /"NoSchedule"/],
  ["dev", "GPU memory utilization above 0.98", [{ set: ["models", 0, "gpuMemoryUtilization"], to: 1.2 }], "llm-platform:models[0].gpuMemoryUtilization", /must be <= 0.98/],
  ["prod", "a 70B model from the Hub, whose release could not finish within an hour", [{ set: ["models", 0, "weightsFrom"], to: "hub" }, { remove: ["models", 0, "bucketLoad"] }], "llm-platform:models[0].weightsFrom", /would wait up to 80 min, more than the 60 min.*132 GiB of weights \(bf16 size from the model catalog\) at 125 MiB\/s \(Hub download written to a cache volume of 125 MiB\/s\).*bucketLoad: stream/],
  ["prod", "a measured load rate too slow for the release timeout", [{ set: ["models", 0, "loadThroughputMiBps"], to: 50 }], "llm-platform:models[0].loadThroughputMiBps", /at 50 MiB\/s \(models\[\]\.loadThroughputMiBps\)/],
  ["dev", "scaling to zero without the front door that wakes the model", [{ set: ["addons", "ingress", "enabled"], to: false }], "llm-platform:models[0].minReplicas", /0 needs addons.ingress and addons.monitoring enabled/],
  ["prod", "a model name too long for its IRSA roles", [{ set: ["models", 0, "name"], to: "llama-33-70b-instruct-prod" }], "llm-platform:models[0].name", /IAM role name "llm-prod-llm-llama-33-70b-instruct-prod-sync-identity-role-x{7}" 66 characters long.*must be at most 24 characters here/],
  ["prod", "NVMe RAID0 on Bottlerocket", [{ set: ["cluster", "gpuPools", 0, "amiType"], to: "BOTTLEROCKET_x86_64_NVIDIA" }, { set: ["cluster", "gpuPools", 0, "localStorage"], to: "raid0" }], "llm-platform:cluster.gpuPools[0].localStorage", /set up by AL2023's nodeadm/],
  ["dev", "a per-pod cache larger than a g6.xlarge's instance store", [{ set: ["models", 0, "cacheGiB"], to: 160 }], "llm-platform:models[0].cacheGiB", /160 GiB plus 20 GiB for vLLM's home do not fit a node of pool "l4", which offers pods 167 GiB \(the NVMe instance store of its smallest type \(250 GB\)/],
  ["prod", "a weights sync too large for the GPU nodes' root volume", [{ set: ["cluster", "gpuPools", 0, "localStorage"], to: "none" }, { set: ["cluster", "gpuPools", 0, "diskSizeGiB"], to: 150 }], "llm-platform:cluster.gpuPools[0].diskSizeGiB", /weights sync of models\[0\] downloads 148 GiB onto a node of this pool, which offers pods 97 GiB \(its 150 GiB root volume/],
  ["prod", "model cache throughput beyond its IOPS", [{ set: ["cluster", "modelCacheVolume"], to: { throughputMiBps: 1000 } }], "llm-platform:cluster.modelCacheVolume.throughputMiBps", /1000 MiB\/s needs iops >= 4000 .*iops is 3000/],
  ["prod", "root volume throughput beyond its IOPS", [{ set: ["cluster", "gpuPools", 0, "diskThroughputMiBps"], to: 2000 }], "llm-platform:cluster.gpuPools[0].diskThroughputMiBps", /2000 MiB\/s needs diskIops >= 8000/],
  ["dev", "streaming weights from the Hub", [{ set: ["models", 0, "bucketLoad"], to: "stream" }], "llm-platform:models[0].bucketLoad", /reads the weights from the stack's bucket: set weightsFrom: bucket/],
  ["local", "streaming a GGUF file", [{ set: ["models", 0, "bucketLoad"], to: "stream" }], "llm-platform:models[0].bucketLoad", /llama.cpp loads one GGUF file/],
  ["k3s-lab", "weights from the bucket on k3s", [{ set: ["models", 0, "weightsFrom"], to: "bucket" }], "llm-platform:models[0].weightsFrom", /needs a cloud cluster/],
  ["dev", "TTFT threshold between vLLM's histogram buckets", [{ set: ["addons", "monitoring", "slo", "ttftSeconds"], to: 2 }], "llm-platform:addons.monitoring.slo.ttftSeconds", /bucket boundary of vLLM's TTFT histogram.*1\.0, 2\.5, 5\.0/],
  ["dev", "Prometheus retention shorter than the slowest burn-rate window", [{ set: ["addons", "monitoring", "retentionDays"], to: 2 }], "llm-platform:addons.monitoring.retentionDays", /3 days/],
  ["dev", "vLLM reserving more GPU memory than the pressure alert allows", [{ set: ["models", 0, "gpuMemoryUtilization"], to: 0.96 }], "llm-platform:models[0].gpuMemoryUtilization", /gpuMemoryPressure \(0.95\).*never stop firing/],
  ["dev", "SLO target of 100%", [{ set: ["addons", "monitoring", "slo", "availability"], to: 1 }], "llm-platform:addons.monitoring.slo.availability", /must be < 1/],
  ["k3s-lab", "unknown k3s mode", [{ set: ["cluster", "mode"], to: "provisioned" }], "llm-platform:cluster.mode", /got "provisioned"; allowed: "existing", "provision"/],
  ["k3s-lab", "k3s cluster without a server", [{ set: ["cluster", "servers"], to: [] }], "llm-platform:cluster.servers", /needs at least one server/],
  ["k3s-lab", "two servers (no etcd quorum)", [{ set: ["cluster", "servers"], to: [{ address: "192.0.2.11" }, { address: "192.0.2.12" }] }], "llm-platform:cluster.servers", /got 2 servers; use 1, or 3 for HA/],
  ["k3s-lab", "host address that is not an address", [{ set: ["cluster", "servers", 1, "address"], to: "192.0.2.300" }], "llm-platform:cluster.servers[1].address", /got "192.0.2.300"; an IPv4 address or a lowercase DNS name/],
  ["k3s-lab", "same host listed twice", [{ set: ["cluster", "agents", 0, "address"], to: "192.0.2.11" }], "llm-platform:cluster.agents[0].address", /duplicate host "192.0.2.11:22", also cluster.servers\[0\]/],
  ["k3s-lab", "same node name twice", [{ set: ["cluster", "agents", 1, "nodeName"], to: "lab-cpu-1" }], "llm-platform:cluster.agents[1].nodeName", /duplicate node name "lab-cpu-1", also cluster.agents\[0\]/],
  ["k3s-lab", "GPU agent without a pool", [{ remove: ["cluster", "agents", 1, "gpuPool"] }], "llm-platform:cluster.agents[1].gpuPool", /required when gpu is true/],
  ["k3s-lab", "GPU agent without a GPU count", [{ remove: ["cluster", "agents", 1, "gpusPerNode"] }], "llm-platform:cluster.agents[1].gpusPerNode", /required when gpu is true/],
  ["k3s-lab", "GPU pool on a host not marked gpu", [{ set: ["cluster", "agents", 0, "gpuPool"], to: "rtx4090" }], "llm-platform:cluster.agents[0].gpu", /must be true when gpuPool is set/],
  ["k3s-lab", "GPU pool label set by hand", [{ set: ["cluster", "agents", 0, "labels", "llm-platform.io/gpu-pool"], to: "rtx4090" }], "llm-platform:cluster.agents[0].labels.llm-platform.io/gpu-pool", /use gpu: true and gpuPool/],
  ["k3s-lab", "GPU flag on a server", [{ set: ["cluster", "servers", 0, "gpu"], to: true }], "llm-platform:cluster.servers[0].gpu", /unknown key.*Allowed here: address, user, port/],
  ["k3s-lab", "GPU counts differ within a pool", [{ set: ["cluster", "agents", 2], to: { address: "192.0.2.32", gpu: true, gpuPool: "rtx4090", gpusPerNode: 2 } }], "llm-platform:cluster.agents[2].gpusPerNode", /has hosts with 1 GPUs; every host of a pool needs the same count/],
  ["k3s-lab", "misspelled host key", [{ set: ["cluster", "agents", 1, "gpuPol"], to: "rtx4090" }], "llm-platform:cluster.agents[1].gpuPol", /did you mean "gpuPool"/],
  ["k3s-lab", "node name with shell syntax", [{ set: ["cluster", "servers", 0, "nodeName"], to: "gpu $(reboot)" }], "llm-platform:cluster.servers[0].nodeName", /a lowercase DNS name/],
  ["k3s-lab", "node label value with spaces", [{ set: ["cluster", "agents", 0, "labels", "lab.example.com/rack"], to: "rack 1" }], "llm-platform:cluster.agents[0].labels.lab.example.com/rack", /a Kubernetes label value/],
  ["k3s-lab", "node label key with spaces", [{ set: ["cluster", "agents", 0, "labels", "rack id"], to: "r1" }], "llm-platform:cluster.agents[0].labels.rack id", /the key is not a Kubernetes label key/],
  ["k3s-lab", "label the kubelet may not set", [{ set: ["cluster", "agents", 0, "labels", "node-role.kubernetes.io/worker"], to: "true" }], "llm-platform:cluster.agents[0].labels.node-role.kubernetes.io/worker", /kubernetes.io or k8s.io/],
  ["k3s-lab", "a host without a pinned SSH host key", [{ remove: ["cluster", "servers", 0, "hostKey"] }], "llm-platform:cluster.servers[0].hostKey", /required: pin the host's SSH key.*insecureAcceptAnyHostKey/],
  ["k3s-lab", "prod accepting any SSH host key", [{ set: ["environment"], to: "prod" }, { set: ["cluster", "insecureAcceptAnyHostKey"], to: true }], "llm-platform:cluster.insecureAcceptAnyHostKey", /must be false in prod/],
  ["k3s-lab", "SSH port out of range", [{ set: ["cluster", "agents", 0, "port"], to: 70000 }], "llm-platform:cluster.agents[0].port", /must be <= 65535/],
  ["k3s-lab", "model on a GPU pool no agent forms", [{ set: ["models", 0, "gpuPool"], to: "a100" }], "llm-platform:models[0].gpuPool", /no GPU pool named "a100"; cluster.gpuPools has: rtx4090/],
];

describe("config mistakes are rejected with the key path, the bad value and what is allowed", () => {
  it("covers at least 20 distinct kinds of mistakes", () => {
    expect(new Set(mistakes.map(([, kind]) => kind)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(mistakes)("%s: %s", (stack, _kind, mutations, path, words) => {
    const errors = errorsOf(validateStack(stack, mutations, secretsFor(stack)));
    const matching = errors.filter((error) => error.startsWith(`${path}:`));
    expect(matching, `errors were:\n${errors.join("\n")}`).not.toHaveLength(0);
    expect(matching.join("\n")).toMatch(words);
  });

  it("reports every problem at once, one line each", () => {
    const errors = errorsOf(validateStack("dev", [
      { set: ["clustr"], to: {} },
      { set: ["models", 0, "gpuCount"], to: -1 },
      { set: ["addons", "logging", "elasticsearchNodes"], to: 0 },
    ]));
    expect(errors).toHaveLength(3);
  });

  it("requires the kubeconfig of an existing cluster, and never prints a secret's value", () => {
    expect(errorsOf(validateStack("local"))).toEqual([expect.stringMatching(/^llm-platform:kubeconfig: got nothing; required when/)]);
    const errors = errorsOf(validateStack("local", [{ set: ["notifyWebhookUrl"], to: "http://hooks.example.com/very-secret-token" }], kubeconfig));
    expect(errors.join("\n")).toMatch(/llm-platform:notifyWebhookUrl/);
    expect(errors.join("\n")).not.toContain("very-secret-token");
  });

  it("requires the SSH key in provision mode, and each credential only in the mode that uses it", () => {
    expect(errorsOf(validateStack("k3s-lab"))).toEqual([expect.stringMatching(/^llm-platform:sshPrivateKey: got nothing; required when cluster.mode is "provision": cat ~\/.ssh\/id_ed25519 \| pulumi config set --secret sshPrivateKey --$/)]);
    expect(errorsOf(validateStack("k3s-lab", [], { ...sshPrivateKey, ...kubeconfig }))).toEqual([
      expect.stringMatching(/^llm-platform:kubeconfig: got \[secret\]; only used when cluster.mode is "existing"/),
    ]);
    expect(errorsOf(validateStack("local", [], { ...sshPrivateKey, ...kubeconfig }))).toEqual([
      expect.stringMatching(/^llm-platform:sshPrivateKey: got \[secret\]; only used when cluster.mode is "provision"/),
    ]);
  });

  it("requires hfToken for a gated Llama downloaded from the Hub, so that synth fills a placeholder and pulumi up asks for the secret", () => {
    const hub = [{ set: ["models", 0, "model"], to: "meta-llama/Llama-3.2-1B-Instruct" }] satisfies Mutation[];
    expect(errorsOf(validateStack("dev", hub))).toEqual([expect.stringMatching(/^llm-platform:hfToken: got nothing; required because models\[0\]\.model "meta-llama\/Llama-3\.2-1B-Instruct" is gated/)]);
  });

  it("needs no token for prod's Llama, which streams from the bucket", () => {
    expect(errorsOf(validateStack("prod"))).toEqual([]);
  });

  it("needs no token for a gated model copied from the bucket, nor for a public one", () => {
    expect(errorsOf(validateStack("dev", [{ set: ["models", 0, "model"], to: "meta-llama/Llama-3.2-1B-Instruct" }, { set: ["models", 0, "weightsFrom"], to: "bucket" }]))).toEqual([]);
    expect(errorsOf(validateStack("dev"))).toEqual([]);
  });

  it.each([
    ["local", "a kubeconfig's path instead of its contents", { kubeconfig: "/home/alice/.kube/config" }, /^llm-platform:kubeconfig: got \[secret\]; expected a kubeconfig's contents \(YAML with apiVersion and clusters\), not its path: pulumi config set --secret kubeconfig "\$\(cat path\/to\/kubeconfig\)"$/],
    ["dev", "a plain-http webhook", { notifyWebhookUrl: "http://hooks.example.com/T000/B000/abcdefsecret" }, /^llm-platform:notifyWebhookUrl: got \[secret\]; expected an https:\/\/ webhook URL/],
    ["k3s-lab", "the public key as sshPrivateKey", { sshPrivateKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicOnly alice@laptop" }, /^llm-platform:sshPrivateKey: got \[secret\]; expected an SSH private key .*not the public key \(\.pub\) or its path/],
  ])("%s: rejects %s without printing it", (stack, _kind, secrets, message) => {
    const errors = errorsOf(validateStack(stack, [], secrets));
    expect(errors).toEqual([expect.stringMatching(message)]);
    expect(errors.join("\n")).not.toContain(Object.values(secrets)[0]!.slice(0, 12));
  });

  it("reports an unknown GPU instance type once, not again as a mixed pool", () => {
    const errors = errorsOf(validateStack("dev", [{ set: ["cluster", "gpuPools", 0, "instanceTypes", 0], to: "G6.xlarge" }]));
    expect(errors).toEqual([expect.stringMatching(/^llm-platform:cluster\.gpuPools\[0\]\.instanceTypes\[0\]: got "G6\.xlarge"; .*did you mean "g6\.xlarge"\?/)]);
  });

  it("rejects a credential stored in plaintext", () => {
    const errors = errorsOf(validateStack("local", [{ set: ["kubeconfig"], to: "apiVersion: v1" }]));
    expect(errors).toEqual([expect.stringMatching(/^llm-platform:kubeconfig: is set in plaintext/)]);
  });
});
