import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { SynthResult } from "../../scripts/lib/synthesize";
import { repoRoot, stackNames, synthStack } from "../support/synth";
import { startApiServer, type ApiServer } from "./support/apiserver";
import { startChartRepo, type ChartRepo } from "./support/chart-repo";
import { dryRunApply } from "./support/dry-run";
import { ChartRenderer, remoteReleases, type KubeObject } from "./support/render";
import { checkOnServer, renderStack, type StackRender } from "./support/stack-check";

/**
 * Item 1 and 2 of the real checks: every committed stack's remote charts rendered for real with the
 * values the program computes, and every object of the stack sent to a real API server. Each stack is
 * synthesized with its `chartMirror` set to the loopback repository, as an air-gapped team would: every
 * remote chart, the OCI-published ones (Envoy Gateway) included, is then fetched from it by name.
 */
let repo: ChartRepo;
let api: Promise<ApiServer> | undefined;
let workDir: string;
let renderer: ChartRenderer;
const summary: string[] = [];
/** Each stack's synth and render, kept for the failure tests below. */
const checked = new Map<string, { result: SynthResult; render: StackRender }>();

async function synthAndRender(stack: string): Promise<{ result: SynthResult; render: StackRender }> {
  if (!checked.has(stack)) {
    // Secrets as the placeholders synth reads them as, so that charts see values of the right shape.
    const result = await synthStack(stack, withChartMirror(stack, repo.url), { fresh: true, secrets: "placeholders" });
    checked.set(stack, { result, render: renderStack(result.resources, renderer) });
  }
  return checked.get(stack)!;
}

beforeAll(async () => {
  repo = await startChartRepo();
  workDir = mkdtempSync(join(tmpdir(), "llm-platform-charts-"));
  renderer = new ChartRenderer(repo.url, workDir);
});

/** A copy of the committed stack file (secure values kept, for the placeholders) with `chartMirror` set. */
function withChartMirror(stack: string, mirror: string): string {
  const document = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
  document.config["llm-platform:chartMirror"] = mirror;
  const file = join(workDir, `Pulumi.${stack}.yaml`);
  writeFileSync(file, stringify(document));
  return file;
}

/** The API server, started on first use (the chart checks run without one). */
const server = () => (api ??= startApiServer());

afterAll(async () => {
  if (api) await (await api).stop();
  await repo?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (summary.length) console.warn(`real checks:\n${summary.join("\n")}`);
});

describe.each(stackNames())("stack %s", (stack) => {
  let render: StackRender;
  let result: SynthResult;
  beforeAll(async () => {
    ({ render, result } = await synthAndRender(stack));
  });

  it("renders every remote chart with the program's values; each values key exists in the pinned chart", () => {
    expect(render.charts.length).toBeGreaterThan(0);
    // Through the chart mirror every chart is a name in one Helm repository: no OCI reference is left.
    for (const release of remoteReleases(result.resources)) expect([release.chart, release.repository], release.name).toEqual([expect.not.stringContaining("/"), repo.url]);
    expect(render.problems).toEqual([]);
    for (const chart of render.charts) expect(chart.objects, chart.release).toBeGreaterThan(0);
  });

  it("the API server accepts every object of the stack as a server-side apply dry-run", async () => {
    const check = checkOnServer((await server()).kubeconfigPath, render);
    summary.push(
      `  ${stack}: ${render.charts.length} charts rendered (${render.charts.map((c) => `${c.chart} ${c.objects}`).join(", ")}); ` +
        `${render.crds.length} CRDs installed; ${check.accepted} of ${render.objects.length} objects accepted`,
    );
    expect(check.missingNamespaces).toEqual([]);
    expect(check.rejected).toEqual([]);
    expect(check.accepted).toBe(render.objects.length);
  });
});

describe("the real checks fail", () => {
  let result: SynthResult;
  let render: StackRender;
  beforeAll(async () => {
    ({ result, render } = await synthAndRender("local"));
  });

  it("on a values key the pinned chart does not know, naming the release and the key", () => {
    const release = remoteReleases(result.resources).find((candidate) => candidate.chart === "ingress-nginx")!;
    const controller = release.values.controller as Record<string, unknown>;
    const broken = { ...release, values: { ...release.values, controller: { ...controller, replicaCont: 2 } } };
    expect(renderer.unknownKeys(broken)).toEqual([expect.stringMatching(/^llm-local-ingress-nginx-release .*"controller\.replicaCont"/)]);
  });

  it("on a value the chart's schema rejects, naming the release and the key", () => {
    const release = remoteReleases(result.resources).find((candidate) => candidate.chart === "cert-manager")!;
    const broken = { ...release, values: { ...release.values, crds: { enabled: "yes" } } };
    expect(() => renderer.render(broken)).toThrow(/llm-local-cert-manager-release .*helm template failed:[\s\S]*crds/);
  });

  it("on an object the API server rejects, with the server's message", async () => {
    const { kubeconfigPath } = await server();
    checkOnServer(kubeconfigPath, render);
    const index = render.objects.findIndex(({ object }) => object.kind === "Deployment");
    const { source, object } = render.objects[index]!;
    const spec = object.spec as { template: { spec: { containers: Record<string, unknown>[] } } };
    const [first, ...rest] = spec.template.spec.containers;
    const broken: KubeObject = {
      ...object,
      spec: { ...spec, template: { ...spec.template, spec: { ...spec.template.spec, containers: [{ ...first, imagePullPolicy: "Sometimes" }, ...rest] } } },
    };
    const result = dryRunApply(kubeconfigPath, [{ source, object: broken }]);
    expect(result.accepted).toBe(0);
    expect(result.rejected.join("\n")).toMatch(/imagePullPolicy.*Sometimes|Unsupported value: "Sometimes"/);
    expect(result.rejected[0]).toContain(source);
  });

  it("on a field the API server does not know (strict validation)", async () => {
    const { source, object } = render.objects.find(({ object }) => object.kind === "Service")!;
    const result = dryRunApply((await server()).kubeconfigPath, [{ source, object: { ...object, spec: { ...(object.spec as object), clusterIPs_typo: ["10.96.0.10"] } } }]);
    // Server-side apply names the field as a path that the schema does not declare.
    expect(result.rejected.join("\n")).toMatch(/\.spec\.clusterIPs_typo: field not declared in schema/);
  });
});
