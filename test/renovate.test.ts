import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { charts, elasticStackVersion, images, kubernetesVersions } from "../components/versions";
import { repoRoot } from "../scripts/lib/stack-file";

interface CustomManager {
  customType: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  depNameTemplate?: string;
  packageNameTemplate?: string;
  datasourceTemplate?: string;
}
interface Dep {
  depName: string;
  packageName: string;
  currentValue: string;
  datasource: string;
  registryUrl?: string;
}

const config = JSON.parse(readFileSync(join(repoRoot, "renovate.json"), "utf8")) as { customManagers: CustomManager[] };

/** Renovate's managerFilePatterns: "/regex/" is a regex over the repository-relative path, anything else a glob (not used here). */
function matchesFile(manager: CustomManager, path: string): boolean {
  return manager.managerFilePatterns.some((pattern) => {
    const regex = /^\/(.*)\/$/.exec(pattern);
    if (!regex) throw new Error(`renovate.json: use a /regex/ in managerFilePatterns, got ${pattern}`);
    return new RegExp(regex[1]!).test(path);
  });
}

/** Handlebars' {{{name}}} and {{name}} with the match's named groups, as Renovate fills its templates. */
const fill = (template: string, groups: Record<string, string | undefined>) =>
  template.replace(/\{\{\{?(\w+)\}?\}\}/g, (_, name: string) => groups[name] ?? "");

/** The dependencies Renovate's regex managers extract from a file (matchStringsStrategy "any": every match of every string). */
export function extract(managers: CustomManager[], path: string, text: string): Dep[] {
  return managers
    .filter((manager) => manager.customType === "regex" && matchesFile(manager, path))
    .flatMap((manager) =>
      manager.matchStrings.flatMap((source) =>
        [...text.matchAll(new RegExp(source, "gm"))].map((match) => {
          const groups = match.groups ?? {};
          const depName = manager.depNameTemplate ? fill(manager.depNameTemplate, groups) : groups.depName!;
          return {
            depName,
            packageName: manager.packageNameTemplate ? fill(manager.packageNameTemplate, groups) : (groups.packageName ?? depName),
            currentValue: groups.currentValue!,
            datasource: manager.datasourceTemplate ? fill(manager.datasourceTemplate, groups) : groups.datasource!,
            ...(groups.registryUrl ? { registryUrl: groups.registryUrl } : {}),
          };
        }),
      ),
    );
}

const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");

describe("renovate.json", () => {
  it("finds every chart, image, Elastic Stack and k3s pin in components/versions.ts, each once, with its exact version", () => {
    const deps = extract(config.customManagers, "components/versions.ts", read("components/versions.ts"));
    const expected: Dep[] = [
      ...Object.values(charts).map((pin): Dep => {
        if (pin.repository.startsWith("oci://")) {
          const packageName = `${pin.repository.slice("oci://".length)}/${pin.chart}`;
          return { depName: pin.chart, packageName, currentValue: pin.version, datasource: "docker" };
        }
        return { depName: pin.chart, packageName: pin.chart, currentValue: pin.version, datasource: "helm", registryUrl: pin.repository };
      }),
      ...[...new Set(Object.values(images))].map((image): Dep => {
        const [name, tag] = [image.slice(0, image.lastIndexOf(":")), image.slice(image.lastIndexOf(":") + 1)];
        return { depName: name, packageName: name, currentValue: tag, datasource: "docker" };
      }),
      {
        depName: "docker.elastic.co/elasticsearch/elasticsearch",
        packageName: "docker.elastic.co/elasticsearch/elasticsearch",
        currentValue: elasticStackVersion,
        datasource: "docker",
      },
      ...kubernetesVersions.k3s.map((version): Dep => ({ depName: "k3s-io/k3s", packageName: "k3s-io/k3s", currentValue: version, datasource: "github-releases" })),
    ];
    const key = (dep: Dep) => `${dep.datasource} ${dep.packageName}`;
    expect([...deps].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...expected].sort((a, b) => key(a).localeCompare(key(b))));
  });

  it("pins promtool once: the wrapper module that builds it requires the Prometheus module version .ci/tools.json names", () => {
    const pin = (JSON.parse(read(".ci/tools.json")) as Record<string, { module: string; version: string; wrapper?: string }>).promtool!;
    expect(pin.wrapper).toBe(".ci/tools/promtool");
    const goMod = read(`${pin.wrapper}/go.mod`);
    expect(goMod).toMatch(new RegExp(`^tool ${pin.module}$`, "m"));
    expect(goMod).toMatch(new RegExp(`^\\s+github\\.com/prometheus/prometheus ${pin.version.replaceAll(".", "\\.")}\\b`, "m"));
  });

  it("finds the check tools (as Go modules), the Pulumi CLI, Node for .ci/run and the serving chart's appVersion", () => {
    const tools = JSON.parse(read(".ci/tools.json")) as Record<string, { module: string; version: string }>;
    const toolDeps = extract(config.customManagers, ".ci/tools.json", read(".ci/tools.json"));
    expect(toolDeps.map((dep) => dep.currentValue)).toEqual(Object.values(tools).map((tool) => tool.version));
    for (const dep of toolDeps) expect(dep).toMatchObject({ datasource: "go" });
    expect(toolDeps.map((dep) => dep.depName)).toEqual(["helm.sh/helm/v4", "github.com/zegl/kube-score", "github.com/rhysd/actionlint", "github.com/prometheus/prometheus"]);

    expect(extract(config.customManagers, ".pulumi-version", read(".pulumi-version"))).toEqual([
      { depName: "pulumi/pulumi", packageName: "pulumi/pulumi", currentValue: read(".pulumi-version").trim(), datasource: "github-releases" },
    ]);
    const node = extract(config.customManagers, ".ci/run", read(".ci/run"));
    expect(node).toEqual([{ depName: "node", packageName: "node", currentValue: /node_version=(\S+)/.exec(read(".ci/run"))![1], datasource: "node-version" }]);
    const appVersion = extract(config.customManagers, "charts/llm-serving/Chart.yaml", read("charts/llm-serving/Chart.yaml"));
    expect(appVersion).toEqual([expect.objectContaining({ depName: images.vllm.split(":")[0], currentValue: images.vllm.split(":")[1] })]);
  });

  it("fails when a pin is written in a shape no pattern knows (a dropped pin would rot unseen)", () => {
    const moved = read("components/versions.ts").replace('chart: "keda", version: "2.20.2"', 'version: "2.20.2", chart: "keda"');
    expect(moved).not.toBe(read("components/versions.ts"));
    const deps = extract(config.customManagers, "components/versions.ts", moved);
    expect(deps.map((dep) => dep.depName)).not.toContain("keda");
    expect(() => extract([{ customType: "regex", managerFilePatterns: ["components/*.ts"], matchStrings: [] }], "components/versions.ts", "")).toThrow(/regex/);
  });

  it("updates the action SHAs in place and pins nothing to a range", () => {
    const raw = JSON.parse(read("renovate.json")) as { extends: string[]; rangeStrategy: string };
    expect(raw.extends).toContain("helpers:pinGitHubActionDigests");
    expect(raw.rangeStrategy).toBe("pin");
    for (const file of ["checks.yml", "pull-request.yml", "pulumi-up.yml"]) {
      for (const [, ref] of read(`.github/workflows/${file}`).matchAll(/uses: [\w-]+\/[\w-]+@(\S+) # v[\d.]+/g)) expect(ref, file).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});
