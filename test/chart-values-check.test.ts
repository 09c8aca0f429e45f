import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chartKeys, unknownValuesKeys } from "./real/support/chart-values";

/** A small chart folder with one aliased subchart, shaped like the upstream ones the real checks read. */
function writeChart(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "chart-values-check-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const chart = writeChart({
  "Chart.yaml": "name: app\nversion: 1.0.0\ndependencies:\n  - {name: sub, alias: metrics, condition: metrics.enabled}\n",
  "values.yaml": "config:\n  server:\n    port: 80\ncontroller:\n  name: x\n  replicaCount: 1\n  podAnnotations: {}\n  extraArgs:\n    v: 2\n  image: {repository: x, tag: y}\n",
  "templates/deploy.yaml": [
    "replicas: {{ .Values.controller.replicaCount }}",
    "args: {{- range $k, $v := .Values.controller.extraArgs }} --{{ $k }}={{ $v }}{{ end }}",
    "{{- if .Values.controller.hostNetwork }}hostNetwork: true{{ end }}",
    // A map merged into defaults and rendered whole through a variable (gateway-helm's config.envoyGateway).
    "{{- $user := .Values.config.server }}",
    "{{- $merged := merge $user (dict \"port\" 1) }}",
    "config: {{ toYaml $merged }}",
    "{{- $name := .Values.controller.name }}",
    "name: {{ $name | quote }}",
  ].join("\n"),
  "charts/sub/Chart.yaml": "name: sub\nversion: 0.1.0\n",
  "charts/sub/values.yaml": "port: 9100\nglobal:\n  imageRegistry: ''\n",
  "charts/sub/templates/svc.yaml": "{{- with .Values.service }}\n{{- toYaml . }}\n{{- end }}\n",
});
afterAll(() => rmSync(chart, { recursive: true, force: true }));

describe("the values key check of the real checks (read from the real chart)", () => {
  const keys = chartKeys(chart);
  const unknown = (values: Record<string, unknown>) => unknownValuesKeys(keys, values);

  it("flags a key that neither values.yaml nor a template knows", () => {
    expect(unknown({ controller: { replicaCont: 2 } })).toEqual(["controller.replicaCont"]);
    expect(unknown({ controller: { image: { tga: "z" } } })).toEqual(["controller.image.tga"]);
  });

  it("accepts keys in values.yaml, keys only a template reads, and any key under empty or whole-rendered maps", () => {
    expect(unknown({ controller: { replicaCount: 2, hostNetwork: true, podAnnotations: { "a/b": "c" }, extraArgs: { "any-flag": 1 } } })).toEqual([]);
  });

  it("accepts any key under a map a template merges or renders whole through a variable, but not under a scalar held in one", () => {
    expect(unknown({ config: { server: { hooks: { post: ["Route"] }, fqdn: { hostname: "h" } } } })).toEqual([]);
    expect(unknown({ controller: { name: "y" }, config: { servr: {} } })).toEqual(["config.servr"]);
  });

  it("knows a subchart's keys under its alias, its condition, and its globals at the top", () => {
    expect(unknown({ metrics: { enabled: true, port: 1, service: { type: "ClusterIP" } }, global: { imageRegistry: "r" } })).toEqual([]);
    expect(unknown({ metrics: { prot: 1 } })).toEqual(["metrics.prot"]);
  });
});
