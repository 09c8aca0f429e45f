import { beforeAll, describe, expect, it } from "vitest";
import { servingChart } from "../components/serving/llm-serving";
import { charts } from "../components/versions";
import { manifestsOf } from "../scripts/lib/manifests";
import type { SynthResource } from "../scripts/lib/synthesize";
import { synthStack } from "./support/synth";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The machine the quick start promises the local stack fits: a 4-core, 16 GB laptop. */
const laptop = { cpu: 4, memoryGiB: 16 };
/** Left for the OS, the container runtime, k3s itself and its system pods (CoreDNS, metrics-server, local-path). */
const reserve = { cpu: 1, memoryGiB: 4 };

interface Requests { cpu: number; memoryGiB: number }
const zero: Requests = { cpu: 0, memoryGiB: 0 };
const add = (a: Requests, b: Requests): Requests => ({ cpu: a.cpu + b.cpu, memoryGiB: a.memoryGiB + b.memoryGiB });
const times = (a: Requests, n: number): Requests => ({ cpu: a.cpu * n, memoryGiB: a.memoryGiB * n });

const cpuOf = (q: unknown) => (q === undefined ? 0 : String(q).endsWith("m") ? Number(String(q).slice(0, -1)) / 1000 : Number(q));
const units: Record<string, number> = { Ki: 2 ** -20, Mi: 2 ** -10, Gi: 1, Ti: 2 ** 10, k: 1e3 / 2 ** 30, M: 1e6 / 2 ** 30, G: 1e9 / 2 ** 30 };
function memoryOf(q: unknown): number {
  if (q === undefined) return 0;
  const match = /^([0-9.]+)([A-Za-z]*)$/.exec(String(q));
  if (!match) throw new Error(`not a memory quantity: ${String(q)}`);
  return match[2] ? Number(match[1]) * units[match[2]]! : Number(match[1]) / 2 ** 30;
}
const requestsOf = (resources: Obj | undefined): Requests => ({ cpu: cpuOf(resources?.requests?.cpu), memoryGiB: memoryOf(resources?.requests?.memory) });

/** What the scheduler reserves for one pod: its containers, or its largest init container if that is more. */
function podRequests(spec: Obj): Requests {
  const running = (spec.containers ?? []).map((c: Obj) => requestsOf(c.resources)).reduce(add, zero);
  const init = (spec.initContainers ?? []).map((c: Obj) => requestsOf(c.resources));
  return init.reduce((max: Requests, r: Requests) => ({ cpu: Math.max(max.cpu, r.cpu), memoryGiB: Math.max(max.memoryGiB, r.memoryGiB) }), running);
}

/** Pods of an object the program creates directly (one node: a DaemonSet runs once). CronJobs run briefly and are not counted. */
function objectRequests(object: Obj): Requests {
  switch (object.kind) {
    case "Deployment":
    case "StatefulSet":
      return times(podRequests(object.spec.template.spec), object.spec.replicas ?? 1);
    case "DaemonSet":
    case "Job":
      return podRequests(object.spec.template.spec);
    case "Elasticsearch":
      return (object.spec.nodeSets as Obj[]).map((set) => times(podRequests(set.podTemplate.spec), set.count)).reduce(add, zero);
    case "Kibana":
      return times(podRequests(object.spec.podTemplate.spec), object.spec.count ?? 1);
    default:
      return zero;
  }
}

/**
 * Requests the pinned upstream charts set by default, read from each chart's values.yaml at its pinned
 * version. Only these two set any: every other chart the local stack installs (argo-cd 10.1.1,
 * argo-workflows 1.0.18, cert-manager v1.21.1, fluent-bit 0.58.1, kube-prometheus-stack 88.5.3 with its
 * grafana, kube-state-metrics and node-exporter subcharts, prometheus-operator-crds) ships `resources: {}`,
 * so their pods request nothing and count as zero here (they still use memory; see docs/quick-start.md).
 */
const upstreamDefaults: Record<string, { path: string[]; requests: Requests; replicas: string[] }[]> = {
  [charts.ingressNginx.chart]: [{ path: ["controller"], requests: { cpu: 0.1, memoryGiB: 90 / 1024 }, replicas: ["controller", "replicaCount"] }],
  [charts.eckOperator.chart]: [{ path: [], requests: { cpu: 0.1, memoryGiB: 150 / 1024 }, replicas: ["replicaCount"] }],
};

const at = (values: Obj, path: string[]) => path.reduce<Obj | undefined>((node, key) => node?.[key], values);

/**
 * A remote chart release: every `resources.requests` the program sets in its values (times a sibling
 * replicaCount/replicas, skipping components with enabled: false), and the chart's own defaults where
 * the program sets none.
 */
function chartRequests(release: SynthResource): Requests {
  const values = (release.inputs.values ?? {}) as Obj;
  let total = zero;
  const overridden = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return;
    const object = node as Obj;
    if (object.enabled === false) return;
    if (object.resources?.requests) {
      total = add(total, times(requestsOf(object.resources), object.replicaCount ?? object.replicas ?? 1));
      overridden.add(path.join("."));
    }
    for (const [key, child] of Object.entries(object)) if (key !== "resources") walk(child, [...path, key]);
  };
  walk(values, []);
  for (const fallback of upstreamDefaults[String(release.inputs.chart)] ?? []) {
    if (overridden.has(fallback.path.join("."))) continue;
    total = add(total, times(fallback.requests, (at(values, fallback.replicas) as number | undefined) ?? 1));
  }
  return total;
}

let breakdown: Record<string, Requests>;
let total: Requests;
beforeAll(async () => {
  const result = await synthStack("local");
  breakdown = {};
  for (const resource of result.resources.filter((r) => r.custom)) {
    if (resource.type === "kubernetes:helm.sh/v3:Release") {
      breakdown[resource.name] = resource.inputs.chart === servingChart
        ? manifestsOf([resource]).map((m) => objectRequests(m.object as Obj)).reduce(add, zero)
        : chartRequests(resource);
    } else {
      const kind = /:([A-Za-z]+)$/.exec(resource.type)?.[1];
      const requests = objectRequests({ ...resource.inputs, kind });
      if (requests.cpu > 0 || requests.memoryGiB > 0) breakdown[resource.name] = requests;
    }
  }
  total = Object.values(breakdown).reduce(add, zero);
});

const table = () => Object.entries(breakdown).map(([name, r]) => `${name}: ${r.cpu.toFixed(2)} CPU, ${r.memoryGiB.toFixed(2)} GiB`).join("\n");

describe("the local stack on a 4-core, 16 GB laptop", () => {
  it("counts every workload: the model, Elasticsearch, Kibana, the log retention Job and the charts' own requests", () => {
    expect(breakdown["llm-local-llm-qwen-small"]).toEqual({ cpu: 1, memoryGiB: 1 });
    expect(breakdown["llm-local-elasticsearch-cluster"]).toEqual({ cpu: 0.5, memoryGiB: 2 });
    expect(breakdown["llm-local-kibana-kibana"]).toEqual({ cpu: 0.25, memoryGiB: 2 });
    expect(breakdown["llm-local-ingress-nginx-release"]!.cpu).toBeCloseTo(0.1);
    expect(breakdown["llm-local-eck-release"]!.cpu).toBeCloseTo(0.1);
    expect(breakdown["llm-local-fluent-bit-release"]).toEqual({ cpu: 0.05, memoryGiB: 64 / 1024 });
  });

  it(`requests at most ${laptop.cpu - reserve.cpu} CPU and ${laptop.memoryGiB - reserve.memoryGiB} GiB, leaving ${reserve.cpu} CPU and ${reserve.memoryGiB} GiB for the OS and k3s`, () => {
    expect(total.cpu, table()).toBeLessThanOrEqual(laptop.cpu - reserve.cpu);
    expect(total.memoryGiB, table()).toBeLessThanOrEqual(laptop.memoryGiB - reserve.memoryGiB);
  });
});
