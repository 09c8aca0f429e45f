import { beforeAll, describe, expect, it } from "vitest";
import { images } from "../components/versions";
import type { SynthResult } from "../scripts/lib/synthesize";
import { kubeScoreFindings } from "./support/kube-score";
import { ofType, servingObjects, synthStack } from "./support/synth";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The local stack as a newcomer deploys it: its model release rendered by real helm. */
let result: SynthResult;
let objects: Obj[];
beforeAll(async () => {
  result = await synthStack("local");
  objects = servingObjects(result) as Obj[];
});

const only = (kind: string): Obj => {
  const found = objects.filter((object) => object.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const pod = () => only("Deployment").spec.template.spec;
const server = () => pod().containers[0];

describe("the local stack serves a model on CPU", () => {
  it("runs the pinned llama.cpp server image, on no GPU and with no GPU placement", () => {
    expect(pod().containers).toHaveLength(1);
    expect(server().name).toBe("llama-server");
    expect(server().image).toBe(images.llamacppServer);
    expect(images.llamacppServer).toMatch(/^ghcr\.io\/ggml-org\/llama\.cpp:server-b\d+$/);
    expect(JSON.stringify(only("Deployment"))).not.toContain("nvidia.com/gpu");
    expect(pod().tolerations).toBeUndefined();
    expect(pod().nodeSelector).toBeUndefined();
    expect(pod().runtimeClassName).toBeUndefined();
  });

  it("fetches Qwen2.5-0.5B-Instruct Q4_K_M from the Hub and serves it under the model's name on port 8080", () => {
    const args = server().args as string[];
    const flag = (name: string) => args[args.indexOf(name) + 1];
    expect(flag("--hf-repo")).toBe("Qwen/Qwen2.5-0.5B-Instruct-GGUF");
    expect(flag("--hf-file")).toBe("qwen2.5-0.5b-instruct-q4_k_m.gguf");
    expect(flag("--alias")).toBe("qwen-small");
    expect(flag("--host")).toBe("0.0.0.0");
    expect(flag("--port")).toBe("8080");
    expect(args).toContain("--metrics");
    expect(server().ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
  });

  it("reads the API key from the generated Secret, never from a literal", () => {
    const apiKey = server().env.find((e: Obj) => e.name === "LLAMA_API_KEY");
    expect(apiKey).toEqual({ name: "LLAMA_API_KEY", valueFrom: { secretKeyRef: { name: "llm-api-key", key: "api-key" } } });
    expect(server().args.join(" ")).not.toContain("--api-key");
  });

  it("keeps downloads on the cache volume and runs with the restricted security context", () => {
    // At the pinned build --hf-repo downloads land in $HF_HOME/hub (common/hf-cache.cpp), not in LLAMA_CACHE.
    expect(server().env).toContainEqual({ name: "HF_HOME", value: "/models" });
    expect(server().volumeMounts).toContainEqual({ name: "model-cache", mountPath: "/models" });
    expect(server().securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("keeps llama.cpp's threads and prompt cache inside the pod's CPU and memory limits", () => {
    const args = server().args as string[];
    const flag = (name: string) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : undefined);
    const limits = server().resources.limits;
    const memoryMiB = Number(/^(\d+)Gi$/.exec(limits.memory)![1]) * 1024;
    // Unset, llama.cpp would start a thread per node core and keep up to 8192 MiB of prompt cache.
    expect(flag("--threads")).toBeLessThanOrEqual(Number(limits.cpu));
    expect(flag("--cache-ram")).toBeGreaterThan(0);
    expect(flag("--cache-ram")).toBeLessThanOrEqual(memoryMiB / 4);
  });

  it("probes /health (503 while the model loads) and allows 10 minutes for the first download", () => {
    const { startupProbe, readinessProbe, livenessProbe } = server();
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) expect(probe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
  });

  it("is scraped by Prometheus with the API key (llama.cpp guards /metrics) and labelled with its model name and version", () => {
    const endpoint = only("ServiceMonitor").spec.endpoints[0];
    expect(endpoint).toMatchObject({ port: "http", path: "/metrics" });
    expect(endpoint.authorization).toEqual({ type: "Bearer", credentials: { name: "llm-api-key", key: "api-key" } });
    expect(endpoint.relabelings).toEqual([
      { targetLabel: "model_name", replacement: "qwen-small" },
      { targetLabel: "version", replacement: "stable" },
    ]);
    expect(only("NetworkPolicy").spec.ingress[0].ports).toEqual([{ port: 8080, protocol: "TCP" }]);
  });

  it("is routed through the front door: /v1 and /health only, over TLS, on the model's host", () => {
    const ingress = only("Ingress");
    expect(ingress.spec.rules[0].host).toBe("qwen-small.api.llm.localhost");
    expect(ingress.spec.rules[0].http.paths.map((p: Obj) => p.path)).toEqual(["/v1", "/health"]);
    expect(ingress.spec.tls[0].hosts).toEqual(["qwen-small.api.llm.localhost"]);
  });

  it("scores clean with kube-score but for the same documented findings as the GPU models", () => {
    // Egress: the GGUF comes from the Hub, whose addresses change. Replicas: one CPU replica on a laptop.
    expect(kubeScoreFindings(objects)).toEqual(["deployment-replicas", "pod-networkpolicy"]);
  });

  it("outputs the API URL, the served model names and the key, the key as a secret", () => {
    expect(result.outputs.llmApiUrl).toBe("https://qwen-small.api.llm.localhost/v1");
    expect(result.outputs.llmModels).toEqual(["qwen-small"]);
    expect(result.outputs.llmApiKey).toBe("[secret]");
  });
});

describe("the local stack's dashboard and alerts know the engine", () => {
  const resource = (type: string, name: string) => ofType(result, type).find((r) => r.name.endsWith(name))!.inputs as Obj;

  it("read llama.cpp's own metrics and the front door's, and never a vLLM or GPU metric that cannot exist here", () => {
    const rules = JSON.stringify(resource("kubernetes:monitoring.coreos.com/v1:PrometheusRule", "llm-alerts-rule").spec);
    const dashboard = String(resource("kubernetes:core/v1:ConfigMap", "llm-dashboard-configmap").data["llm-serving.json"]);
    for (const text of [rules, dashboard]) {
      expect(text).toContain("llamacpp:requests_deferred");
      expect(text).not.toMatch(/vllm:|DCGM_/);
    }
    expect(rules).toContain('nginx_ingress_controller_requests{exported_namespace=\\"llm-serving\\", ingress=~\\"qwen-small\\"');
  });
});

