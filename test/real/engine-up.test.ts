import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { gpuNodeConventions } from "../../components/cluster/types";
import { servingChart } from "../../components/serving/llm-serving";
import { charts } from "../../components/versions";
import { repoRoot } from "../../scripts/lib/stack-file";
import type { SynthResult } from "../../scripts/lib/synthesize";
import { synthStack } from "../support/synth";
import { externalKubeconfigVariable, startApiServer, type ApiServer } from "./support/apiserver";
import { startChartRepo, type ChartRepo } from "./support/chart-repo";
import { startControllers, type Controllers } from "./support/controllers";
import { createWorkspace, findEngine, report, stackFile, type EngineRun, type StackWorkspace } from "./support/engine";
import { createFakeNodes, fakeNodeNames, startKwok, type Kwok } from "./support/kwok";
import { startStandInOperators, type StandInOperators } from "./support/operators";
import { requireRealTool } from "./support/tools";

/**
 * A real `pulumi up` of an engine-test stack generated from Pulumi.local.yaml, against a real API
 * server with kwok nodes (one of them a GPU node) and the controllers, so that Deployments get pods
 * and kwok reports them Running and Ready: Helm and the kubernetes provider wait for that as on a real
 * cluster. Then `up` again must change nothing, and `destroy` must leave nothing behind.
 *
 * What the simulation leaves out, and why:
 * - admission webhooks (ingress-nginx, cert-manager, prometheus-operator, ECK, KEDA): no process runs
 *   behind their Services, so the API server is started without calling webhooks;
 * - the operators do nothing (ECK, prometheus-operator, Argo CD): their custom resources are stored and
 *   validated against the CRDs, but no Elasticsearch or Prometheus pod appears. Where the program waits
 *   for an operator's status (Kibana health), a stand-in writes it (support/operators.ts).
 */
const stack = "engine";
const gpuPool = "l4";
const gpuModel = "qwen-gpu";
const policyPack = join(repoRoot, "policy");

/**
 * On the throwaway API server, kwok simulates the nodes (a GPU node among them) and stand-ins write
 * what controllers would. On a cluster of your own (LLM_PLATFORM_REAL_KUBECONFIG) nothing is simulated:
 * no fake nodes, no stand-ins, and no GPU model, since a laptop cluster has no GPU.
 */
const simulated = !process.env[externalKubeconfigVariable];

/**
 * The one warning the simulation causes: ECK creates Kibana's `<name>-kb-http` Service, and ECK runs no
 * process here, so the provider finds no Service behind the Kibana Ingress.
 */
const operatorAbsent = /^warning: No matching service found for ingress rule: "kibana\.[^"]+" -> "kibana-kb-http" \(urn:[^)]*:Ingress::[^)]*-kibana-ingress\)$/;

/**
 * Pulumi.local.yaml (its llama.cpp model included) plus, when simulated, a GPU pool and a vLLM model
 * on it, which a workstation leaves out. Not the pipeline: it needs a bucket with workload identity
 * (EKS, GKE), which a k3s-style stack cannot have; the dry-run check (stacks.test.ts) sends dev's
 * WorkflowTemplate to the API server instead.
 */
function engineStackConfig(chartMirror: string): Record<string, unknown> {
  const local = (parse(readFileSync(join(repoRoot, "Pulumi.local.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> }).config;
  const { taint, poolLabel } = gpuNodeConventions;
  if (!simulated) return { chartMirror };
  return {
    chartMirror,
    cluster: {
      ...local["llm-platform:cluster"],
      gpuPools: [{ name: gpuPool, nodeSelector: { [poolLabel]: gpuPool }, tolerations: [{ ...taint, operator: "Equal" }], gpusPerNode: 2, nodes: 1 }],
    },
    models: [...(local["llm-platform:models"] as unknown as object[]), { name: gpuModel, model: "Qwen/Qwen2.5-0.5B-Instruct", gpuPool, cacheGiB: 5 }],
  };
}

/**
 * What k3s gives every cluster and a bare API server lacks: the "nvidia" RuntimeClass GPU pods name,
 * and the local-path StorageClass, here with volumes provisioned in advance (no provisioner runs).
 */
function likeK3s(kubectl: (args: string[], input?: string) => string): void {
  const volumes = Array.from({ length: 6 }, (_, index) => ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `engine-test-pv-${index}` },
    spec: {
      capacity: { storage: "500Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "local-path",
      hostPath: { path: `/var/lib/engine-test/pv-${index}` },
    },
  }));
  const objects = [
    { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name: "nvidia" }, handler: "nvidia" },
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "local-path", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "rancher.io/local-path",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Delete",
    },
    ...volumes,
  ];
  kubectl(["apply", "-f", "-"], objects.map((object) => stringify(object)).join("---\n"));
}

/** Every object the API server lists, as `resource namespace/name`, except what churns on its own. */
function listEverything(kubectl: (args: string[]) => string): Set<string> {
  const churn = new Set(["events", "events.events.k8s.io", "leases.coordination.k8s.io", "endpoints", "endpointslices.discovery.k8s.io"]);
  const resources = kubectl(["api-resources", "--verbs=list", "-o", "name"]).split("\n").filter((name) => name && !churn.has(name));
  const objects = new Set<string>();
  for (const resource of resources) {
    const out = kubectl(["get", resource, "--all-namespaces", "--ignore-not-found", "-o", "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}"]);
    for (const line of out.split("\n").filter(Boolean)) objects.add(`${resource} ${line}`);
  }
  return objects;
}

describe("real pulumi up, up again and destroy of an engine-test stack from Pulumi.local.yaml", () => {
  let api: ApiServer;
  let kwok: Kwok;
  let controllers: Controllers;
  let operators: StandInOperators;
  let repo: ChartRepo;
  let workspace: StackWorkspace;
  let synth: SynthResult;
  let before: Set<string>;
  let up: EngineRun;
  const kubectl = (args: string[], input?: string) =>
    execFileSync(requireRealTool("kubectl"), ["--kubeconfig", api.kubeconfigPath, ...args], { encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    const engine = findEngine();
    api = await startApiServer({ admissionWebhooks: false });
    if (simulated) {
      controllers = await startControllers(api);
      kwok = await startKwok(api.kubeconfigPath);
      operators = startStandInOperators(api.kubeconfigPath);
      createFakeNodes(api.kubeconfigPath, { gpuPool, gpus: 2 });
      likeK3s(kubectl);
    }
    repo = await startChartRepo();
    workspace = createWorkspace(engine, stack, stackFile("local", engineStackConfig(repo.url)));
    workspace.setSecret("kubeconfig", api.kubeconfig);
    synth = await synthStack(stack, join(workspace.dir, `Pulumi.${stack}.yaml`), { fresh: true });
    before = listEverything(kubectl);
    up = workspace.run(["up", "--yes", "--skip-preview", "--policy-pack", policyPack], { timeoutSeconds: 3600 });
    report(`pulumi up of ${stack}: exit ${up.status}, ${JSON.stringify(up.changes)}, ${up.seconds.toFixed(0)} s`);
  }, 3_600_000);
  afterAll(async () => {
    await repo?.stop();
    await operators?.stop();
    await kwok?.stop();
    await controllers?.stop();
    await api?.stop();
    workspace?.remove();
  });

  it("holds every part the check is about", () => {
    const types = new Set(synth.resources.map((resource) => resource.type));
    for (const type of [
      "kubernetes:core/v1:Namespace",
      "kubernetes:core/v1:Secret",
      "random:index/randomPassword:RandomPassword",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
    ]) {
      expect(types, type).toContain(type);
    }
    const charted = synth.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => String(r.inputs.chart));
    expect(charted).toContain(charts.prometheusOperatorCrds.chart);
    // The serving chart (a path in this repository), one release per model: llama.cpp, and vLLM when simulated.
    expect(charted.filter((chart) => chart === servingChart)).toHaveLength(simulated ? 2 : 1);
  });

  it("comes up: every resource created, with no warning or policy finding", () => {
    expect(up.status, up.stderr.slice(-6000)).toBe(0);
    expect(up.findings.filter((finding) => !(simulated && operatorAbsent.test(finding)))).toEqual([]);
    // +1: the stack itself. Objects the program only reads (the private CA's Secret) are not created; the
    // engine's summary of a first up does not list their reads (a later up does).
    expect(synth.reads.length).toBeGreaterThan(0);
    expect(up.changes).toEqual({ create: synth.resources.length + 1 });
  });

  it.runIf(simulated)("exports the private CA's certificate as cert-manager wrote it, once the root Certificate is Ready", () => {
    const outputs = workspace.outputs();
    report(`outputs of ${stack}: ${Object.keys(outputs).join(", ")}; caCertificate ${JSON.stringify(outputs.caCertificate)?.slice(0, 60)}`);
    expect(outputs.caCertificate).toBe(operators.caCertificate);
    // Every output at the top level, as the README's `pulumi stack output <name>` expects.
    expect(outputs).toMatchObject({ environment: "dev", llmModels: expect.arrayContaining(["qwen-small"]), kubeconfig: "[secret]" });
  });

  it.runIf(simulated)("runs the vLLM model's pods on the GPU node and the llama.cpp model's elsewhere, all Running", () => {
    const pods = JSON.parse(kubectl(["get", "pods", "--all-namespaces", "-l", "app.kubernetes.io/name=llm-serving", "-o", "json"])) as {
      items: { metadata: { name: string }; spec: { nodeName?: string }; status: { phase: string } }[];
    };
    const onGpu = pods.items.filter((pod) => pod.metadata.name.startsWith(`${gpuModel}-`));
    const onCpu = pods.items.filter((pod) => !pod.metadata.name.startsWith(`${gpuModel}-`));
    expect(onGpu.length).toBeGreaterThan(0);
    expect(onCpu.length).toBeGreaterThan(0);
    for (const pod of onGpu) expect(pod).toMatchObject({ spec: { nodeName: fakeNodeNames.gpu }, status: { phase: "Running" } });
    for (const pod of onCpu) expect(pod.spec.nodeName).not.toBe(fakeNodeNames.gpu);
    for (const pod of onCpu) expect(pod.status.phase).toBe("Running");
  });

  it("then reports no changes on a second up", () => {
    const again = workspace.run(["up", "--yes", "--skip-preview", "--expect-no-changes", "--policy-pack", policyPack], { timeoutSeconds: 1800 });
    report(`second pulumi up of ${stack}: exit ${again.status}, ${JSON.stringify(again.changes)}, ${again.seconds.toFixed(0)} s`);
    expect(again.status, again.stderr.slice(-6000)).toBe(0);
    expect(again.findings).toEqual([]);
    expect(again.changes).toEqual({ same: synth.resources.length + 1, read: synth.reads.length });
  });

  it("and destroy leaves nothing behind on the API server, except CRDs Helm is told to keep", () => {
    const destroy = workspace.run(["destroy", "--yes", "--skip-preview"], { timeoutSeconds: 1800 });
    report(`pulumi destroy of ${stack}: exit ${destroy.status}, ${JSON.stringify(destroy.changes)}, ${destroy.seconds.toFixed(0)} s`);
    expect(destroy.status, destroy.stderr.slice(-6000)).toBe(0);
    // A read object is only dropped from the state ("discard"): cert-manager's Secret goes with its namespace.
    expect(destroy.changes).toEqual({ delete: synth.resources.length + 1, discard: synth.reads.length });
    const left = [...listEverything(kubectl)].filter((object) => !before.has(object));
    // Helm never deletes an object annotated helm.sh/resource-policy=keep (charts set it on CRDs so that
    // uninstalling does not delete every custom resource in the cluster).
    const keptCrd = (object: string) => {
      const [resource, path] = object.split(" ");
      const name = path!.replace(/^\//, "");
      const annotations = kubectl(["get", resource!, name, "-o", "jsonpath={.metadata.annotations}"]);
      return resource === "customresourcedefinitions.apiextensions.k8s.io" && /"helm\.sh\/resource-policy":"keep"/.test(annotations);
    };
    const keptCrds = left.filter(keptCrd);
    // The API server registers an APIService per served group version of a CRD; it stays with the CRD.
    const keptGroups = new Set(keptCrds.map((object) => object.split(" ")[1]!.replace(/^\/[^.]+\./, "")));
    const ofKeptCrd = (object: string) => {
      const match = /^apiservices\.apiregistration\.k8s\.io \/[^.]+\.(.+)$/.exec(object);
      return match !== null && keptGroups.has(match[1]!);
    };
    report(`left behind after destroy: ${left.length} objects: ${keptCrds.length} CRDs with helm.sh/resource-policy=keep, ${left.filter(ofKeptCrd).length} APIServices of their groups`);
    expect(left.filter((object) => !keptCrd(object) && !ofKeptCrd(object))).toEqual([]);
  });
});
