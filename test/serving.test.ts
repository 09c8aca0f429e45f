import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chartDigest, servingChart } from "../components/serving/llm-serving";
import { longestRequestSeconds, secretsChecksumAnnotation, secretsDigest, servingValues, type ServingValuesInput } from "../components/serving/values";
import { charts } from "../components/versions";
import { manifestsOf } from "../scripts/lib/manifests";
import { secretPlaceholder } from "../scripts/lib/stack-file";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { requireTool } from "../scripts/lib/tools";
import { eksGpuInstances } from "../stacks/config/cluster-eks";
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

  it("gives each of several replicas its own cache volume from the cluster's StorageClass", () => {
    const cache = pod().volumes.find((v: Obj) => v.name === "model-cache");
    expect(cache.ephemeral.volumeClaimTemplate.spec).toMatchObject({ storageClassName: "gp3", accessModes: ["ReadWriteOnce"] });
    expect(cache.ephemeral.volumeClaimTemplate.spec.resources.requests.storage).toBe(stack === "dev" ? "50Gi" : "200Gi");
  });

  it("allows at least 10 minutes for the model to load, then probes /health", () => {
    const { startupProbe, readinessProbe, livenessProbe } = vllm();
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) expect(probe.httpGet.path).toBe("/health");
    const deadline = s().kind("Deployment").spec.progressDeadlineSeconds;
    expect(deadline).toBeGreaterThan(startupProbe.periodSeconds * startupProbe.failureThreshold);
    expect(s().release.inputs.timeout).toBeGreaterThan(deadline);
  });

  it("rolls out without a spare GPU, survives drains one pod at a time, and spreads its replicas over nodes", () => {
    const deployment = s().kind("Deployment");
    expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
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
    // prod serves a gated Llama: its hfToken (required by a config rule) becomes the Secret hf-token.
    expect(secrets.sort()).toEqual(stack === "prod" ? ["hf-token", "llm-api-key"] : ["llm-api-key"]);
    const hfToken = vllm().env.find((e: Obj) => e.name === "HF_TOKEN");
    expect(hfToken?.valueFrom.secretKeyRef).toEqual(stack === "prod" ? { name: "hf-token", key: "token" } : undefined);
  });

  it("lets only the ingress controller and Prometheus reach the server", () => {
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
    const issuer = stack === "dev" ? "llm-platform-self-signed" : "llm-platform-letsencrypt";
    expect(ingress.metadata.annotations["cert-manager.io/cluster-issuer"]).toBe(issuer);
    expect(s().result.outputs.llmApiUrl).toBe(`https://${host}/v1`);
    expect(s().result.outputs.llmApiUrls).toEqual({ [model]: `https://${host}/v1` });
  });

  it("scales on queued requests between the model's min and max replicas", () => {
    const scaled = s().kind("ScaledObject");
    const model = stack === "dev" ? "qwen-small" : "llama-70b";
    expect(scaled.spec).toMatchObject({ minReplicaCount: 1, maxReplicaCount: 2, scaleTargetRef: { kind: "Deployment", name: model } });
    expect(scaled.spec.triggers).toEqual([
      {
        type: "prometheus",
        metadata: {
          serverAddress: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
          query: `sum(vllm:num_requests_waiting{namespace="llm-serving", model_name="${model}"})`,
          threshold: "5",
        },
      },
    ]);
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
      ["Deployment", "Ingress", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "PriorityClass", "ScaledObject", ...(stack === "prod" ? ["Secret"] : []), "Secret", "Service", "ServiceAccount", "ServiceMonitor"],
    );
    for (const object of s().objects) {
      // Synth redacts the Secret's data; validate its shape with a stand-in value.
      const checked = object.stringData === "[secret]" ? { ...object, stringData: { "api-key": "redacted" } } : object;
      expect(() => validateManifest(checked), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it("scores clean with kube-score, but for the documented, deliberate findings", () => {
    // Egress: weights come from hosts whose addresses change. Replicas: min 1 under KEDA (see README).
    expect(kubeScoreFindings(s().objects)).toEqual(["deployment-replicas", "pod-networkpolicy"]);
  });

  it("rolls its pods when the API key changes: a digest of the key on the pod template, never the key", () => {
    const generator = ofType(s().result, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith("-llm-api-key"))!;
    const key = `mock-password-${generator.name}`;
    const annotations = s().kind("Deployment").spec.template.metadata.annotations as Record<string, string>;
    // prod serves a gated model: offline synth gives it a placeholder HF token, in the digest too.
    const hfToken = stack === "prod" ? secretPlaceholder("hfToken") : "";
    expect(annotations[secretsChecksumAnnotation]).toBe(secretsDigest(key, hfToken));
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

describe("a dev variant: one replica, no ingress, an HF token", () => {
  let objects: Obj[];
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthVariant("dev", (config) => {
      (config.models as Obj[])[0]!.maxReplicas = 1;
      (config.addons as Obj).ingress = { enabled: false };
      config.hfToken = { secure: "v1:encrypted" };
    });
    objects = manifestsOf(result.resources).map((m) => m.object as Obj);
  });

  it("keeps its weights on a persistent ReadWriteOnce claim, and installs no KEDA", () => {
    const claim = objects.find((o) => o.kind === "PersistentVolumeClaim")!;
    expect(claim.spec).toMatchObject({ accessModes: ["ReadWriteOnce"], storageClassName: "gp3", resources: { requests: { storage: "50Gi" } } });
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
