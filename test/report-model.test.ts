import { describe, expect, it } from "vitest";
import { estimateCost, line, poolNodes } from "../scripts/lib/cost/model";
import { hoursPerMonth, regions, spotFactor } from "../scripts/lib/cost/prices";
import { criticalPath, tasksOf } from "../scripts/lib/deploy-time/graph";
import { deployTime } from "../scripts/lib/deploy-time/model";
import { nodePools, weightsGB } from "../scripts/lib/inventory";
import { buildReport } from "../scripts/lib/stack-report/build";
import { coldStartFigures } from "../components/serving/cold-start";
import type { SynthResource } from "../scripts/lib/synthesize";

/** A hand-built resource: `deps`, `parent` and `provider` by short name. */
function res(name: string, opts: Partial<Omit<SynthResource, "dependsOn" | "parent" | "provider">> & { deps?: string[]; parent?: string; provider?: string } = {}): SynthResource {
  const urn = (short: string) => `urn:${short}`;
  return {
    urn: urn(name),
    type: opts.type ?? "test:index:Thing",
    name,
    custom: opts.custom ?? true,
    parent: opts.parent ? urn(opts.parent) : null,
    provider: opts.provider ? urn(opts.provider) : null,
    dependsOn: (opts.deps ?? []).map(urn),
    protect: false,
    inputs: opts.inputs ?? {},
  };
}

const seconds: Record<string, number> = { a: 1, b: 2, c: 5, d: 1, k: 600, p: 0, r: 3, w: 10, x: 3, y: 4, z: 2 };
const pathOf = (resources: SynthResource[]) => criticalPath(tasksOf(resources, (r) => seconds[r.name] ?? 0));
const chainNames = (resources: SynthResource[]) => pathOf(resources).chain.filter((step) => !step.id.startsWith("start:")).map((step) => step.id.slice(4));

describe("deploy-time graph", () => {
  it("a chain takes the sum of its steps, with nothing in parallel", () => {
    const chain = [res("a"), res("b", { deps: ["a"] }), res("c", { deps: ["b"] })];
    expect(pathOf(chain)).toMatchObject({ seconds: 8, serialSeconds: 8 });
    expect(chainNames(chain)).toEqual(["a", "b", "c"]);
  });

  it("a diamond takes its longer branch; the serial sum counts both", () => {
    const diamond = [res("a"), res("b", { deps: ["a"] }), res("c", { deps: ["a"] }), res("d", { deps: ["b", "c"] })];
    expect(pathOf(diamond)).toMatchObject({ seconds: 7, serialSeconds: 9 });
    expect(chainNames(diamond)).toEqual(["a", "c", "d"]);
  });

  it("a component completes when its children do, and its children wait on what it waits on", () => {
    const graph = [
      res("w"),
      res("comp", { custom: false, deps: ["w"] }),
      res("x", { parent: "comp" }),
      res("y", { parent: "comp" }),
      res("z", { deps: ["comp"] }),
    ];
    // w (10), then the children in parallel (longest y: 4), then z (2).
    expect(pathOf(graph).seconds).toBe(16);
    expect(chainNames(graph)).toEqual(["w", "y", "comp", "z"]);
  });

  it("a resource waits for its provider, and the provider for the cluster its kubeconfig comes from", () => {
    const graph = [res("k"), res("p", { deps: ["k"] }), res("r", { provider: "p" })];
    expect(pathOf(graph).seconds).toBe(603);
    expect(chainNames(graph)).toEqual(["k", "p", "r"]);
  });

  it("names a dependency cycle instead of recursing forever", () => {
    expect(() => criticalPath([{ id: "a", seconds: 1, waitsOn: ["b"] }, { id: "b", seconds: 1, waitsOn: ["a"] }])).toThrow(/cycle/);
  });

  it("adds the node scale-up, image pull and weights to a model release on an empty GPU pool, and checks them against its timeout", () => {
    const stack = [
      res("cluster", { type: "aws:eks/cluster:Cluster" }),
      res("gpu", {
        type: "aws:eks/nodeGroup:NodeGroup",
        inputs: { instanceTypes: ["g6.xlarge"], labels: { "llm-platform.io/gpu-pool": "l4" }, scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 1 } },
      }),
      res("model", {
        type: "kubernetes:helm.sh/v3:Release",
        deps: ["cluster"],
        inputs: {
          chart: "./charts/llm-serving",
          timeout: 900,
          values: { model: { name: "org/Some-8B-Instruct" }, gpu: { count: 1, nodeSelector: { "llm-platform.io/gpu-pool": "l4" } } },
        },
      }),
    ];
    const modeled = deployTime(stack);
    // 300 s scale-up + 300 s image pull + the weights as the probes are sized: 16 GB (8B in bf16) at the
    // gp3 baseline, then the engine's start.
    const weights = (16e9 / 2 ** 30) * 1024 / coldStartFigures.gp3BaselineMiBps.value + coldStartFigures.engineStartSeconds.value;
    expect(modeled.releases).toEqual([{ name: "model", seconds: expect.closeTo(600 + weights, 3), timeoutSeconds: 900, weightsSeconds: expect.closeTo(weights, 3), startupBudgetSeconds: 0 }]);
    expect(modeled.criticalPathSeconds).toBeCloseTo(576 + 600 + weights, 3);
  });

  it("reads the parameter count from a model id", () => {
    expect(weightsGB("meta-llama/Llama-3.3-70B-Instruct")).toBe(140);
    expect(weightsGB("Qwen/Qwen2.5-1.5B-Instruct")).toBe(3);
    expect(weightsGB("org/no-size")).toBeUndefined();
  });
});

describe("cost arithmetic", () => {
  it("prices an hourly item over 730 hours and a monthly item once", () => {
    expect(hoursPerMonth).toBe(730);
    expect(line("NAT", 3, "hour", 0.045)).toEqual({ item: "NAT", quantity: 3, unit: "hour", unitUsd: 0.045, monthlyUsd: 98.55 });
    expect(line("disk", 500, "GiB-month", 0.08).monthlyUsd).toBe(40);
    expect(line("key", 2, "month", 1).monthlyUsd).toBe(2);
  });

  const provider = res("aws", { type: "pulumi:providers:aws", inputs: { region: "us-east-1" } });
  const cluster = res("cluster", { type: "aws:eks/cluster:Cluster" });
  const pool = (name: string, inputs: Record<string, unknown>) => res(name, { type: "aws:eks/nodeGroup:NodeGroup", inputs });

  it("sums control plane, on-demand and spot nodes, disks and NAT, in each scenario", () => {
    const stack = [
      provider,
      cluster,
      pool("system", { instanceTypes: ["m6i.large"], scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 3 }, diskSize: 50 }),
      pool("gpu", {
        instanceTypes: ["g6.xlarge"],
        capacityType: "SPOT",
        labels: { "llm-platform.io/gpu-pool": "l4" },
        tags: { "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "1" },
        scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 2 },
        diskSize: 100,
      }),
      res("nat", { type: "aws:ec2/natGateway:NatGateway" }),
      res("eip", { type: "aws:ec2/eip:Eip" }),
    ];
    const cost = estimateCost(stack);
    const prices = regions["us-east-1"]!;
    const fixed = 730 * (0.1 + 0.045 + 0.005);
    const system = (nodes: number) => nodes * (730 * prices.machines["m6i.large"]! + 50 * 0.08);
    const gpu = (nodes: number) => nodes * (730 * prices.machines["g6.xlarge"]! * spotFactor + 100 * 0.08);
    expect(cost.scenarios.idle.monthlyUsd).toBeCloseTo(fixed + system(2), 1);
    expect(cost.scenarios.configured.monthlyUsd).toBeCloseTo(fixed + system(2), 1);
    expect(cost.scenarios.max.monthlyUsd).toBeCloseTo(fixed + system(3) + gpu(2), 1);
    expect(cost.unpriced).toEqual([]);
  });

  it("bills the EKS control plane at the extended-support rate past standard support, and warns 90 days ahead", () => {
    // Dated against pricesAsOf (2026-11-29): 1.32 ended 2026-03-23, 1.34 ends 2026-12-02, 1.35 on 2027-03-27.
    const at = (version: string) => buildReport("t", [provider, res("cluster", { type: "aws:eks/cluster:Cluster", inputs: { version } })]);
    const controlPlane = (version: string) => at(version).cost.scenarios.idle.lines[0];
    const supportRisks = (version: string) => at(version).risks.filter((risk) => risk.kind === "eks-extended-support");
    expect(controlPlane("1.32")).toMatchObject({ item: "EKS control plane (Kubernetes 1.32 in extended support)", unitUsd: 0.6, monthlyUsd: 438 });
    expect(supportRisks("1.32")).toEqual([expect.objectContaining({ severity: "risk", message: expect.stringMatching(/past standard support \(2026-03-23\).*\+\$365\/month/) })]);
    expect(controlPlane("1.34")).toMatchObject({ item: "EKS control plane", unitUsd: 0.1 });
    expect(supportRisks("1.34")).toEqual([expect.objectContaining({ severity: "warning", message: expect.stringMatching(/ends 2026-12-02 \(3 days after.*\$0\.60\/h \(\+\$365\/month\)/) })]);
    expect(supportRisks("1.35")).toEqual([]);
    expect(at("1.99").cost.unpriced).toEqual(["EKS support dates of Kubernetes 1.99"]);
  });

  it("keeps a GPU node up while idle when a model's minimum replicas need one on a pool whose minimum is 0", () => {
    const [gpuPool] = nodePools([
      pool("gpu", { instanceTypes: ["g6e.12xlarge"], tags: { "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "4" }, scalingConfig: { minSize: 0, maxSize: 3 } }),
    ]);
    const model = { urn: "m", name: "m", modelId: "", pool: gpuPool!.name, gpuCount: 4, minReplicas: 2, maxReplicas: 3, cachePerPodGiB: 0, cacheSharedGiB: 0, startupBudgetSeconds: 0, podAnnotations: {} };
    expect(poolNodes(gpuPool!, [model], "idle")).toBe(2);
    expect(poolNodes(gpuPool!, [], "idle")).toBe(0);
    expect(poolNodes(gpuPool!, [model], "max")).toBe(3);
  });

  it("multiplies GKE per-zone node counts by the pool's zones", () => {
    const [gke] = nodePools([
      res("np", {
        type: "gcp:container/nodePool:NodePool",
        inputs: { initialNodeCount: 1, autoscaling: { minNodeCount: 1, maxNodeCount: 2 }, nodeLocations: ["a", "b", "c"], nodeConfig: { machineType: "e2-standard-4" } },
      }),
    ]);
    expect(gke).toMatchObject({ min: 3, initial: 3, max: 6, diskGiB: 100, diskType: "pd-balanced" });
  });

  it("reports a machine type or region with no price instead of silently pricing it at $0", () => {
    expect(estimateCost([provider, cluster, pool("odd", { instanceTypes: ["x9.huge"], scalingConfig: { minSize: 1, maxSize: 1 } })]).unpriced).toEqual(["machine type x9.huge"]);
    expect(estimateCost([res("aws", { type: "pulumi:providers:aws", inputs: { region: "mars-1" } }), cluster]).unpriced).toEqual(["region mars-1"]);
  });
});

describe("Helm waits", () => {
  const release = (inputs: Record<string, unknown>) => deployTime([res("r", { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "argo-cd", ...inputs } })]).releases[0]!;

  it("waits for a release's workloads unless it skips the await, and atomic turns the wait back on", () => {
    expect(release({}).seconds).toBe(120);
    expect(release({ skipAwait: true }).seconds).toBe(10);
    expect(release({ skipAwait: true, atomic: true }).seconds).toBe(120);
  });

  it("adds the load balancer wait for a Service of type LoadBalancer, per platform, and uses Helm's 5 min default timeout", () => {
    const nginx = deployTime([
      res("cluster", { type: "gcp:container/cluster:Cluster" }),
      res("r", { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "ingress-nginx", values: { controller: { service: { type: "LoadBalancer" } } } } }),
    ]).releases[0]!;
    expect(nginx).toEqual({ name: "r", seconds: 60 + 60, timeoutSeconds: 300 });
  });
});

describe("risks", () => {
  const servingStack = (timeout: number, startupFailures: number) => [
    res("aws", { type: "pulumi:providers:aws", inputs: { region: "us-east-1" } }),
    res("cluster", { type: "aws:eks/cluster:Cluster" }),
    res("gpu", {
      type: "aws:eks/nodeGroup:NodeGroup",
      inputs: {
        instanceTypes: ["g6e.12xlarge"],
        labels: { "llm-platform.io/gpu-pool": "l40s" },
        tags: { "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "4" },
        scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 1 },
      },
    }),
    res("model", {
      type: "kubernetes:helm.sh/v3:Release",
      inputs: {
        chart: "./charts/llm-serving",
        timeout,
        values: {
          model: { name: "org/Big-70B" },
          gpu: { count: 4, nodeSelector: { "llm-platform.io/gpu-pool": "l40s" } },
          replicas: 1,
          probes: { startup: { periodSeconds: 10, failureThreshold: startupFailures } },
        },
      },
    }),
  ];

  it("flags a model release modeled longer than its Helm timeout, and weights slower than the startup probe allows", () => {
    // 300 s scale-up + 300 s pull + 140 GB at the gp3 baseline (1068 s) + 120 s engine start = 1788 s; weights alone 1188 s.
    const report = buildReport("t", servingStack(1500, 60));
    expect(report.risks.filter((risk) => risk.kind !== "gpu-idle")).toEqual([
      expect.objectContaining({ severity: "risk", kind: "release-timeout", resource: "model", message: expect.stringMatching(/29\.8 min exceeds its Helm timeout of 25\.0 min/) }),
      expect.objectContaining({ severity: "risk", kind: "startup-probe", resource: "model", message: expect.stringMatching(/19\.8 min exceeds its startup probe budget of 10\.0 min/) }),
    ]);
  });

  it("warns within 20% of a limit and says nothing below it", () => {
    expect(buildReport("t", servingStack(1800, 120)).risks.filter((r) => r.kind !== "gpu-idle").map((r) => [r.kind, r.severity])).toEqual([
      ["release-timeout", "warning"],
      ["startup-probe", "warning"],
    ]);
    expect(buildReport("t", servingStack(3600, 240)).risks.filter((r) => r.kind !== "gpu-idle")).toEqual([]);
  });

  it("flags the GPU node that a model's minimum replica keeps running, with its monthly cost", () => {
    const [idle] = buildReport("t", servingStack(3600, 240)).risks.filter((r) => r.kind === "gpu-idle");
    const usd = Math.round(730 * regions["us-east-1"]!.machines["g6e.12xlarge"]!);
    expect(idle?.message).toBe(`GPU pool l40s: 1 × g6e.12xlarge run while idle, $${usd.toLocaleString("en-US")}/month (pool min 0; model minReplicas 1)`);
  });
});
