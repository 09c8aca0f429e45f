import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chartDigest, servingChart } from "../components/serving/llm-serving";
import { coldStartFigures, imagePullSeconds, loadPlan, maxReleaseTimeoutSeconds, modeledLoadSeconds, servingBudgets } from "../components/serving/cold-start";
import { ggufInclude, longestRequestSeconds, secretsChecksumAnnotation, secretsDigest, servingValues, type ServingValuesInput } from "../components/serving/values";
import { charts } from "../components/versions";
import { manifestsOf } from "../scripts/lib/manifests";
import { secretPlaceholder } from "../scripts/lib/stack-file";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { requireTool } from "../scripts/lib/tools";
import { eksGpuInstances } from "../stacks/config/cluster-eks";
import { instanceStoreWriteMiBps } from "../components/cloud-catalog";
import { fitsNode } from "../stacks/config/rules";
import { unknownValueKeys } from "./support/chart-keys";
import { lintChart, renderChart } from "./support/helm";
import { validateManifest } from "./support/kube-models";
import { kubeScoreFindings } from "./support/kube-score";
import { ofType, repoRoot } from "./support/synth";
import { synthVariant, synthWithIngressNginx } from "./support/variant";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const release = "kubernetes:helm.sh/v3:Release";
const servingReleases = (result: SynthResult) => ofType(result, release).filter((r) => r.inputs.chart === servingChart);

interface Rendered {
  result: SynthResult;
  release: SynthResource;
  /** The serving component's objects: its own and the chart's, rendered by real helm. */
  objects: Obj[];
  kind(kind: string): Obj;
}

function rendered(result: SynthResult): Rendered {
  const objects = manifestsOf(result.resources)
    .filter((manifest) => manifest.source.includes("llm-platform:serving:LlmServing"))
    .map((manifest) => manifest.object as Obj);
  return {
    result,
    release: servingReleases(result)[0]!,
    objects,
    kind: (kind) => {
      const found = objects.filter((object) => object.kind === kind);
      expect(found, kind).toHaveLength(1);
      return found[0]!;
    },
  };
}


const stacks: Record<string, Rendered> = {};
beforeAll(async () => {
  // On ingress-nginx, whose Ingress the chart renders; test/gateway.test.ts checks the Gateway's routes.
  stacks.dev = rendered(await synthWithIngressNginx("dev"));
  stacks.prod = rendered(await synthWithIngressNginx("prod"));
});

const gpus = { dev: 1, prod: 4 } as const;

describe.each(["dev", "prod"] as const)("serving in %s", (stack) => {
  const s = () => stacks[stack]!;
  const pod = () => s().kind("Deployment").spec.template.spec;
  const vllm = () => pod().containers.find((c: Obj) => c.name === "vllm");

  it("installs the local chart once per model, by a path relative to the project directory", () => {
    const releases = servingReleases(s().result);
    expect(releases).toHaveLength(1);
    expect(releases[0]!.inputs).toMatchObject({ chart: "./charts/llm-serving", namespace: "llm-serving", atomic: true });
    expect(existsSync(join(repoRoot, servingChart, "Chart.yaml"))).toBe(true);
    expect(releases[0]!.inputs.description).toContain(chartDigest());
  });

  it("passes values that helm lint --strict accepts", () => {
    const run = lintChart(s().release.inputs.values as Obj);
    expect(run.ok, run.stdout + run.stderr).toBe(true);
  });

  it("asks for the model's GPUs on its pool, with a memory-backed /dev/shm", () => {
    const container = vllm();
    expect(container.resources.limits["nvidia.com/gpu"]).toBe(gpus[stack]);
    expect(container.resources.requests["nvidia.com/gpu"]).toBe(gpus[stack]);
    expect(container.args).toEqual(expect.arrayContaining(["--tensor-parallel-size", String(gpus[stack])]));
    // dev and prod run on EKS: the pool's label and taint, and no RuntimeClass (the NVIDIA AMI's default runtime sees GPUs).
    const poolName = stack === "dev" ? "l4" : "l40s";
    expect(pod().nodeSelector).toEqual({ "llm-platform.io/gpu-pool": poolName });
    expect(pod().tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    expect(pod().runtimeClassName).toBeUndefined();
    const shm = pod().volumes.find((v: Obj) => v.name === "shm");
    expect(shm.emptyDir.medium).toBe("Memory");
    expect(container.volumeMounts).toContainEqual({ name: "shm", mountPath: "/dev/shm" });
  });

  it("requests 3 CPU and 12 GiB per GPU, which fit one node of every instance type of the pool", () => {
    const { requests, limits } = vllm().resources;
    expect(requests).toMatchObject({ cpu: String(3 * gpus[stack]), memory: `${12 * gpus[stack]}Gi` });
    expect(limits).toMatchObject({ cpu: String(6 * gpus[stack]), memory: `${24 * gpus[stack]}Gi` });
    const stackFile = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, { gpuPools: { instanceTypes: string[] }[] }> };
    const request = { cpu: Number(requests.cpu), memoryGiB: Number(String(requests.memory).replace(/Gi$/, "")) };
    for (const type of stackFile.config["llm-platform:cluster"]!.gpuPools[0]!.instanceTypes) {
      expect(fitsNode(request, eksGpuInstances[type]!), type).toBe(true);
    }
  });

  it("gives each of several replicas its own cache on the node's NVMe instance store, counted in its ephemeral storage", () => {
    const cache = pod().volumes.find((v: Obj) => v.name === "model-cache");
    expect(cache).toEqual({ name: "model-cache", emptyDir: { sizeLimit: "50Gi" } });
    const engine = pod().containers[0];
    expect(engine.resources.requests["ephemeral-storage"]).toBe("55Gi");
    expect(engine.resources.limits["ephemeral-storage"]).toBe("70Gi");
  });

  it("sizes the startup probe, progress deadline and release timeout from the weights and their rate, and the three agree", () => {
    const { startupProbe, readinessProbe, livenessProbe } = vllm();
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) expect(probe.httpGet.path).toBe("/health");
    const startup = startupProbe.periodSeconds * startupProbe.failureThreshold;
    const deadline = s().kind("Deployment").spec.progressDeadlineSeconds as number;
    const timeout = s().release.inputs.timeout as number;
    // dev: 3 GiB from the Hub into a cache on the NVMe instance store; prod: 132 GiB streamed from the bucket at 2000 MiB/s.
    const plan = stack === "dev"
      ? loadPlan({ path: "hub", catalogWeightsGiB: 3, cacheVolumeMiBps: instanceStoreWriteMiBps })
      : loadPlan({ path: "bucket-stream", catalogWeightsGiB: 132 });
    const budgets = servingBudgets(plan, 2);
    expect([startup, deadline, timeout]).toEqual([budgets.startupSeconds, budgets.progressDeadlineSeconds, budgets.releaseTimeoutSeconds]);
    expect(startup).toBeGreaterThanOrEqual(Math.max(600, 1.5 * modeledLoadSeconds(plan)));
    // The deadline covers the probe plus a node from zero and the image pull; Helm waits for both rollout waves.
    expect(deadline).toBeGreaterThanOrEqual(startup + coldStartFigures.nodeFromZero.value + imagePullSeconds());
    expect(timeout).toBe(2 * deadline);
    expect(timeout).toBeLessThanOrEqual(maxReleaseTimeoutSeconds);
    const annotations = s().kind("Deployment").spec.template.metadata.annotations as Record<string, string>;
    expect(annotations).toMatchObject({ "llm-platform.io/weights-gib": String(plan.weightsGiB), "llm-platform.io/weights-path": plan.path, "llm-platform.io/weights-throughput-mibps": String(plan.throughputMiBps) });
  });

  it("surges only where the pool has room, survives drains one pod at a time, and spreads its replicas over nodes", () => {
    const deployment = s().kind("Deployment");
    // dev's pool (2 × 1 GPU) is full with qwen-small's 2 replicas; prod's (3 × 4 GPUs) holds a third llama-70b pod.
    expect(deployment.spec.strategy.rollingUpdate).toEqual(stack === "prod" ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 });
    expect(s().kind("PodDisruptionBudget").spec.maxUnavailable).toBe(1);
    expect(pod().topologySpreadConstraints[0]).toMatchObject({ topologyKey: "kubernetes.io/hostname", nodeAffinityPolicy: "Honor" });
  });

  it("runs hardened: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, read-only root", () => {
    expect(pod().securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod().securityContext.runAsUser).toBeGreaterThan(0);
    for (const container of [...pod().containers, ...(pod().initContainers ?? [])]) {
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("never mounts a service account token, and reads the API key from the generated Secret", () => {
    expect(pod().automountServiceAccountToken).toBe(false);
    expect(s().kind("ServiceAccount").automountServiceAccountToken).toBe(false);
    const apiKey = vllm().env.find((e: Obj) => e.name === "VLLM_API_KEY");
    expect(apiKey.valueFrom.secretKeyRef).toEqual({ name: "llm-api-key", key: "api-key" });
    const secrets = s().objects.filter((o) => o.kind === "Secret").map((o) => o.metadata.name as string);
    // Neither stack sets hfToken: dev's model is public, prod's streams from the bucket.
    expect(secrets.sort()).toEqual(["llm-api-key"]);
    expect(vllm().env.find((e: Obj) => e.name === "HF_TOKEN")).toBeUndefined();
  });

  it("lets only the ingress controller, Prometheus and the scheduled evaluation reach the server", () => {
    const policy = s().kind("NetworkPolicy");
    expect(policy.spec.policyTypes).toEqual(["Ingress"]);
    expect(policy.spec.ingress).toHaveLength(1);
    expect(policy.spec.ingress[0].ports).toEqual([{ port: 8000, protocol: "TCP" }]);
    expect(policy.spec.ingress[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" } },
      },
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
      // The scheduled evaluation's pods only (docs/model-lifecycle.md), not the whole pipeline namespace.
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-pipelines" } },
        podSelector: { matchLabels: { "llm-platform.io/role": "model-evaluation" } },
      },
    ]);
  });

  it("exposes only /v1 and /health, over TLS, on the model's own host", () => {
    const ingress = s().kind("Ingress");
    const model = stack === "dev" ? "qwen-small" : "llama-70b";
    const domain = stack === "dev" ? "dev.llm.example.com" : "llm.example.com";
    const host = `${model}.api.${domain}`;
    expect(ingress.spec.ingressClassName).toBe("nginx");
    expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: `${model}-tls` }]);
    expect(ingress.spec.rules).toHaveLength(1);
    expect(ingress.spec.rules[0].host).toBe(host);
    const paths = ingress.spec.rules[0].http.paths.map((p: Obj) => [p.path, p.pathType]);
    expect(paths).toEqual([["/v1", "Prefix"], ["/health", "Exact"]]);
    const issuer = stack === "dev" ? "llm-platform-private-ca" : "llm-platform-letsencrypt";
    expect(ingress.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe(issuer);
    expect(s().result.outputs.llmApiUrl).toBe(`https://${host}/v1`);
    expect(s().result.outputs.llmApiUrls).toEqual({ [model]: `https://${host}/v1` });
  });

  it("scales on queued requests between the model's min and max replicas; dev from zero, woken by its front-door requests", () => {
    const scaled = s().kind("ScaledObject");
    const model = stack === "dev" ? "qwen-small" : "llama-70b";
    const server = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090";
    expect(scaled.spec).toMatchObject({ minReplicaCount: stack === "dev" ? 0 : 1, maxReplicaCount: 2, scaleTargetRef: { kind: "Deployment", name: model } });
    expect(scaled.spec.triggers).toEqual([
      {
        type: "prometheus",
        metadata: { serverAddress: server, query: `sum(vllm:num_requests_waiting{namespace="llm-serving", model_name="${model}", version="stable"})`, threshold: "5" },
      },
      // With no replica there is no queue: requests counted by the ingress controller for this model's Ingress wake it.
      ...(stack === "dev"
        ? [{
            type: "prometheus",
            name: "front-door-activation",
            metadata: {
              serverAddress: server,
              query: `sum(rate(nginx_ingress_controller_requests{exported_namespace="llm-serving", ingress="${model}"}[2m]))`,
              threshold: "1000",
              activationThreshold: "0",
            },
          }]
        : []),
    ]);
    expect(s().kind("Ingress").metadata.name).toBe(model);
    expect(s().kind("Deployment").spec.replicas).toBeUndefined();
    expect(s().kind("ServiceMonitor").spec.endpoints[0]).toMatchObject({ port: "http", path: "/metrics" });
  });

  it("waits only on the CRDs it uses: the Prometheus Operator's and KEDA's", () => {
    const urns = s().release.dependsOn;
    const crds = ofType(s().result, release).find((r) => r.inputs.chart === "prometheus-operator-crds")!;
    const keda = ofType(s().result, release).find((r) => r.inputs.chart === "keda")!;
    expect(urns).toContain(crds.urn);
    expect(urns).toContain(keda.urn);
    expect(keda.inputs.version).toBe(charts.keda.version);
    expect(unknownValueKeys(charts.keda, keda.inputs.values as Obj)).toEqual([]);
  });

  it("renders manifests that validate against the upstream Kubernetes, KEDA and Prometheus Operator schemas", () => {
    expect(s().objects.map((o) => o.kind).sort()).toEqual(
      ["Deployment", "Ingress", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "PriorityClass", "ScaledObject", "Secret", "Service", "ServiceAccount", "ServiceMonitor"],
    );
    for (const object of s().objects) {
      // Synth redacts the Secret's data; validate its shape with a stand-in value.
      const checked = object.stringData === "[secret]" ? { ...object, stringData: { "api-key": "redacted" } } : object;
      expect(() => validateManifest(checked), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it("scores clean with kube-score, but for the documented, deliberate findings", () => {
    // Egress: weights come from hosts whose addresses change. Replicas: min 1 under KEDA (see charts/llm-serving/README.md, kube-score).
    expect(kubeScoreFindings(s().objects)).toEqual(["deployment-replicas", "pod-networkpolicy"]);
  });

  it("rolls its pods when the API key changes: a digest of the key on the pod template, never the key", () => {
    const generator = ofType(s().result, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith("-llm-api-key"))!;
    const key = `mock-password-${generator.name}`;
    const annotations = s().kind("Deployment").spec.template.metadata.annotations as Record<string, string>;
    expect(annotations[secretsChecksumAnnotation]).toBe(secretsDigest(key, ""));
    expect(secretsDigest(`${key}-rotated`, "")).not.toBe(secretsDigest(key, ""));
    expect(JSON.stringify(annotations)).not.toContain(key);
    expect(s().release.inputs.values).not.toBe("[secret]");
  });

  it("lets in-flight generations finish on scale-in and rollout: a preStop sleep, then a grace period covering the longest request", () => {
    const sleep = vllm().lifecycle.preStop.sleep.seconds as number;
    expect(sleep).toBeGreaterThanOrEqual(5);
    expect(pod().terminationGracePeriodSeconds).toBeGreaterThanOrEqual(sleep + longestRequestSeconds);
    // The longest request is what the front door waits for; the two must not drift apart.
    expect(s().kind("Ingress").metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]).toBe(String(longestRequestSeconds));
  });

  it("runs its pods at the serving priority, above the pipeline's", () => {
    expect(pod().priorityClassName).toBe("llm-serving");
  });

  it("never shows the API key in plaintext", () => {
    const everything = JSON.stringify([s().result.resources, s().result.outputs, s().objects]);
    expect(everything).not.toContain("mock-password-");
    expect(s().result.outputs.llmApiKey).toBe("[secret]");
    expect(s().objects.find((o) => o.kind === "Secret")!.stringData).toBe("[secret]");
  });
});

describe("prod keeps serving during a rollout", () => {
  it("starts the new pod beside the old one, which keeps serving until it is ready and then drains its requests", () => {
    const deployment = stacks.prod!.kind("Deployment");
    const pod = deployment.spec.template.spec;
    const vllm = pod.containers.find((c: Obj) => c.name === "vllm");
    // maxUnavailable 0: no replica stops before its replacement passes readiness.
    expect(deployment.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(vllm.readinessProbe.httpGet.path).toBe("/health");
    expect(vllm.lifecycle.preStop.sleep.seconds).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(longestRequestSeconds);
    // The surge pod needs its own cache: one ReadWriteOnce claim cannot follow it to another node.
    expect(pod.volumes.find((v: Obj) => v.name === "model-cache").emptyDir).toBeDefined();
    expect(stacks.prod!.kind("PodDisruptionBudget").spec.maxUnavailable).toBe(1);
  });

  it("has room for the surge pod: the pool holds one pod more than the model's most replicas", () => {
    const values = stacks.prod!.release.inputs.values as Obj;
    const pool = ofType(stacks.prod!.result, "aws:eks/nodeGroup:NodeGroup").find((r) => r.name.includes("l40s"))!;
    const maxNodes = (pool.inputs.scalingConfig as Obj).maxSize as number;
    expect(maxNodes * 4 / values.gpu.count).toBeGreaterThanOrEqual(values.autoscaling.maxReplicas + 1);
  });
});

describe("prod's 70B model streams from the bucket", () => {
  const deployment = () => stacks.prod!.kind("Deployment");
  const vllm = () => deployment().spec.template.spec.containers.find((c: Obj) => c.name === "vllm");

  it("loads the bucket URI with the Run:ai streamer flags, the configured concurrency, and no copy step", () => {
    const args = vllm().args as string[];
    expect(args[0]).toMatch(/^s3:\/\/[^/]+\/models\/meta-llama\/Llama-3\.3-70B-Instruct$/);
    expect(args.slice(args.indexOf("--load-format"), args.indexOf("--load-format") + 3)).toEqual(["--load-format", "runai_streamer", "--model-loader-extra-config"]);
    expect(JSON.parse(args[args.indexOf("--model-loader-extra-config") + 1]!).concurrency).toBe(16);
    expect(deployment().spec.template.spec.initContainers).toBeUndefined();
    expect(vllm().env).toContainEqual({ name: "HF_HUB_OFFLINE", value: "1" });
  });

  it("splits the reads between its 4 tensor-parallel workers and caps their buffers inside the pod's memory limit", () => {
    const args = vllm().args as string[];
    const config = JSON.parse(args[args.indexOf("--model-loader-extra-config") + 1]!);
    // Without "distributed" each worker streams all ~132 GiB itself, each with a 40 GB buffer (Run:ai's
    // single-process default): 4 × 40 GB against a 96 GiB limit. With it and no cap, the buffer is unlimited.
    expect(config.distributed).toBe(true);
    expect(args[args.indexOf("--tensor-parallel-size") + 1]).toBe("4");
    const limitBytes = Number(vllm().resources.limits.memory.replace(/Gi$/, "")) * 2 ** 30;
    expect(config.memory_limit).toBeGreaterThan(0);
    expect(4 * config.memory_limit).toBeLessThanOrEqual(limitBytes / 2);
  });

  it("mounts no Hub token and reads the bucket through its own IRSA role", () => {
    expect(JSON.stringify(deployment())).not.toMatch(/HF_TOKEN|hf-token/);
    const account = stacks.prod!.kind("ServiceAccount");
    expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).toBeDefined();
    const role = ofType(stacks.prod!.result, "aws:iam/rolePolicy:RolePolicy").find((r) => r.name.includes("llama-70b-identity"));
    expect(JSON.stringify(role?.inputs.policy)).toMatch(/s3:GetObject/);
  });
});

describe("a dev variant with model cache volumes at 1000 MiB/s", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthVariant("dev", (config) => {
      (config.cluster as Obj).modelCacheVolume = { throughputMiBps: 1000, iops: 4000 };
      // Without the instance store, the per-pod caches come from the StorageClass.
      ((config.cluster as Obj).gpuPools as Obj[])[0]!.localStorage = "none";
    });
  });

  it("provisions them through their own StorageClass and sizes the Hub download at the Hub's rate, not gp3's baseline", () => {
    const storageClass = manifestsOf(ofType(result, "kubernetes:storage.k8s.io/v1:StorageClass")).map((m) => m.object as Obj).find((o) => o.metadata.name === "gp3-model-cache")!;
    expect(storageClass.parameters).toMatchObject({ type: "gp3", throughput: "1000", iops: "4000" });
    const values = servingReleases(result)[0]!.inputs.values as Obj;
    expect(values.cache.perPod).toMatchObject({ type: "ephemeralVolume", storageClassName: "gp3-model-cache" });
    // The Hub's 200 MiB/s is now the slower of the two; at the baseline the volume's 125 was.
    expect(values.podAnnotations["llm-platform.io/weights-throughput-mibps"]).toBe(String(coldStartFigures.hubDownloadMiBps.value));
    expect(loadPlan({ path: "hub", catalogWeightsGiB: 3 }).throughputMiBps).toBe(125);
  });
});

describe("a dev variant: one replica, no ingress, an HF token", () => {
  let objects: Obj[];
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthVariant("dev", (config) => {
      Object.assign((config.models as Obj[])[0]!, { minReplicas: 1, maxReplicas: 1 });
      (config.addons as Obj).ingress = { enabled: false };
      config.hfToken = { secure: "v1:encrypted" };
    });
    // The serving objects: dev also runs the model registry (test/mlflow.test.ts), with a Deployment of its own.
    objects = manifestsOf(result.resources).map((m) => m.object as Obj).filter((o) => o.metadata?.namespace !== "mlflow");
  });

  it("keeps its weights on a persistent ReadWriteOnce claim, and installs no KEDA", () => {
    const claim = objects.find((o) => o.kind === "PersistentVolumeClaim")!;
    expect(claim.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3-model-cache", resources: { requests: { storage: "50Gi" } } });
    expect(objects.some((o) => o.kind === "ScaledObject")).toBe(false);
    expect(objects.find((o) => o.kind === "Deployment")!.spec.replicas).toBe(1);
    expect(ofType(result, release).some((r) => r.inputs.chart === "keda")).toBe(false);
  });

  it("exposes nothing, sets no URL output, and lets only Prometheus in", () => {
    expect(objects.some((o) => o.kind === "Ingress")).toBe(false);
    expect(result.outputs.llmApiUrl).toBeUndefined();
    expect(result.outputs.llmApiKey).toBe("[secret]");
    const policy = objects.find((o) => o.kind === "NetworkPolicy")!;
    expect(policy.spec.ingress[0].from).toEqual([
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      },
    ]);
  });

  it("hands the HF token to vLLM through a Secret, never in plaintext", () => {
    const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name === "hf-token")!;
    expect(secret.stringData).toBe("[secret]");
    const vllm = objects.find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0];
    expect(vllm.env).toContainEqual({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } });
    expect(JSON.stringify([result.resources, result.outputs])).not.toContain(secretPlaceholder("hfToken"));
  });
});

describe("the values builder", () => {
  const base: ServingValuesInput = {
    model: { name: "m", engine: "vllm", model: "org/m", gpuCount: 2, minReplicas: 1, maxReplicas: 1, gpuMemoryUtilization: 0.9, cacheGiB: 80, weightsFrom: "bucket" },
    scheduling: { nodeSelector: { pool: "h100" }, tolerations: [] },
    storageClassName: "gp3",
    apiKeySecret: "llm-api-key",
    serviceAccountAnnotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/m" },
    modelSource: "s3://models-bucket/models/org/m",
  };

  it("loads weights from the bucket with the cluster identity, and renders a valid pod without an ingress", () => {
    const objects = renderChart(servingValues(base), "m") as Obj[];
    const pod = objects.find((o) => o.kind === "Deployment")!.spec.template.spec;
    expect(pod.initContainers[0].env).toContainEqual({ name: "SOURCE", value: "s3://models-bucket/models/org/m" });
    expect(pod.initContainers[0].image).toBe("docker.io/rclone/rclone:1.75.1");
    expect(objects.find((o) => o.kind === "ServiceAccount")!.metadata.annotations).toEqual(base.serviceAccountAnnotations);
    expect(objects.some((o) => o.kind === "Ingress" || o.kind === "ServiceMonitor")).toBe(false);
    expect(pod.volumes.find((v: Obj) => v.name === "shm").emptyDir.sizeLimit).toBe("8Gi");
    for (const object of objects) validateManifest(object);
  });

  it("gives a llama.cpp model without threads one thread per core of its CPU limit, and a prompt cache of a quarter of its memory limit", () => {
    const cpuModel: ServingValuesInput = {
      ...base,
      model: { ...base.model, engine: "llamacpp", model: "org/m-GGUF", ggufFile: "m.gguf", requests: { cpu: 1.5, memoryGiB: 3 } },
      scheduling: undefined,
      modelSource: undefined,
    };
    const container = (renderChart(servingValues(cpuModel), "m") as Obj[]).find((o) => o.kind === "Deployment")!.spec.template.spec.containers[0];
    const args = container.args as string[];
    expect(container.resources.limits).toMatchObject({ cpu: "3", memory: "6Gi" });
    expect(args.slice(args.indexOf("--threads"), args.indexOf("--threads") + 2)).toEqual(["--threads", "3"]);
    expect(args.slice(args.indexOf("--cache-ram"), args.indexOf("--cache-ram") + 2)).toEqual(["--cache-ram", "1536"]);
  });

  it("copies only a llama.cpp model's GGUF file (every shard of a split one) from the bucket, not the whole repository", () => {
    const fromBucket = (ggufFile: string) => {
      const values = servingValues({ ...base, model: { ...base.model, engine: "llamacpp", model: "org/m-GGUF", ggufFile }, scheduling: undefined });
      const pod = (renderChart(values, "m") as Obj[]).find((o) => o.kind === "Deployment")!.spec.template.spec;
      return pod.initContainers[0].args.slice(2) as string[];
    };
    expect(fromBucket("m-q4_k_m.gguf")).toEqual(["--include", "m-q4_k_m.gguf"]);
    expect(fromBucket("Q8_0/m-q8_0-00001-of-00003.gguf")).toEqual(["--include", "Q8_0/m-q8_0-*-of-00003.gguf"]);
    expect(ggufInclude("m-00002-of-00003.gguf")).toEqual(["--include", "m-*-of-00003.gguf"]);
  });

  it("changes the chart digest when any chart file changes", () => {
    const scratch = mkdtempSync(join(tmpdir(), "chart-digest-"));
    try {
      cpSync(join(repoRoot, "charts", "llm-serving"), scratch, { recursive: true });
      const before = chartDigest(scratch);
      expect(before).toBe(chartDigest());
      writeFileSync(join(scratch, "templates", "service.yaml"), "# changed\n", { flag: "a" });
      expect(chartDigest(scratch)).not.toBe(before);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("uses the same pinned images as the chart's defaults, which helm users get", () => {
    const defaults = parse(execFileSync(requireTool("helm"), ["show", "values", join(repoRoot, "charts", "llm-serving")], { encoding: "utf8" })) as Obj;
    const values = servingValues(base) as Obj;
    expect(defaults.image).toMatchObject(values.image);
    expect(defaults.modelLoader.image).toMatchObject(values.modelLoader.image);
  });
});
