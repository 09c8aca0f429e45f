import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { helm, lintChart, renderChart, servingChartPath } from "./support/helm";
import { validateManifest } from "./support/kube-models";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ciValues = (file: "dev" | "prod"): Obj => parse(readFileSync(join(servingChartPath, "ci", `${file}-values.yaml`), "utf8")) as Obj;

/** The dev ci values with one change applied. */
function devWith(change: (values: Obj) => void): Obj {
  const values = ciValues("dev");
  change(values);
  return values;
}

describe("the llm-serving chart", () => {
  it.each(["dev", "prod"] as const)("passes helm lint --strict with ci/%s-values.yaml", (file) => {
    const run = lintChart(ciValues(file));
    expect(run.ok, run.stdout + run.stderr).toBe(true);
  });

  it("fails a bare lint: it never renders a server without a model or an API key", () => {
    const run = lintChart();
    expect(run.ok).toBe(false);
    expect(run.stdout + run.stderr).toMatch(/model\/name/);
  });

  it.each(["dev", "prod"] as const)("renders ci/%s-values.yaml into manifests valid against the upstream schemas", (file) => {
    const objects = renderChart(ciValues(file));
    expect(objects.length).toBeGreaterThanOrEqual(6);
    for (const object of objects) validateManifest(object);
  });
});

// Each row: what a user got wrong, the values, and the words helm's error must contain.
const rejected: [string, Obj, RegExp][] = [
  ["a negative GPU count", devWith((v) => (v.gpu.count = -1)), /\/gpu\/count.*minimum: got -1, want 1/],
  ["a fractional GPU count", devWith((v) => (v.gpu.count = 1.5)), /\/gpu\/count/],
  ["a missing model", devWith((v) => delete v.model.name), /\/model\/name.*minLength/],
  ["an unknown top-level key", devWith((v) => (v.gpus = 2)), /additional properties 'gpus' not allowed/],
  ["an unknown nested key", devWith((v) => (v.gpu.cnt = 2)), /\/gpu.*additional properties 'cnt' not allowed/],
  ["GPUs put in resources", devWith((v) => (v.resources.limits["nvidia.com/gpu"] = 1)), /additional properties 'nvidia.com\/gpu' not allowed/],
  ["the latest image tag", devWith((v) => (v.image = { tag: "latest" })), /\/image\/tag/],
  ["a missing API key Secret", devWith((v) => delete v.apiKey.existingSecret), /existingSecret/],
  ["a loader source that is not a bucket", devWith((v) => (v.modelLoader = { enabled: true, source: "https://x.io/m" })), /\/modelLoader\/source/],
  [
    "one ReadWriteOnce cache for several pods",
    devWith((v) => (v.cache = { persistence: { enabled: true, accessModes: ["ReadWriteOnce"] } })),
    /ReadWriteOnce.*cannot be shared by up to 2 pods/,
  ],
  ["autoscaling without a ServiceMonitor", devWith((v) => (v.serviceMonitor.enabled = false)), /needs serviceMonitor.enabled=true/],
  ["an ingress without a host", devWith((v) => (v.ingress = { enabled: true })), /ingress.host is required/],
];

describe("helm refuses bad values with a message naming the key", () => {
  it.each(rejected)("%s", (_mistake, values, words) => {
    const run = helm(["template", "x", servingChartPath], values);
    expect(run.ok).toBe(false);
    expect(run.stderr).toMatch(words);
  });
});
