import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { localChartPath } from "../../../scripts/lib/manifests";
import { UNKNOWN, type SynthResource } from "../../../scripts/lib/synthesize";
import { requireTool } from "../../../scripts/lib/tools";
import { chartKeys, unknownValuesKeys, type ChartKeys } from "./chart-values";

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } };

/** A `helm.v3.Release` of an upstream chart, as the program registers it. */
export interface RemoteRelease {
  readonly resource: SynthResource;
  /** Helm's release name. */
  readonly name: string;
  readonly namespace: string;
  readonly chart: string;
  readonly version: string;
  readonly repository: string;
  readonly values: Record<string, unknown>;
  /** Whether Helm installs the chart's crds/ folder (Release.skipCrds unset). */
  readonly installsCrds: boolean;
}

export const helmReleaseType = "kubernetes:helm.sh/v3:Release";

/** Every Release of a stack whose chart comes from a Helm repository (the local serving chart is not one). */
export function remoteReleases(resources: readonly SynthResource[]): RemoteRelease[] {
  return resources
    .filter((resource) => resource.type === helmReleaseType && !localChartPath(resource))
    .map((resource) => {
      const inputs = resource.inputs as {
        name?: string;
        namespace?: string;
        chart: string;
        version: string;
        repositoryOpts?: { repo?: string };
        values?: unknown;
        skipCrds?: boolean;
      };
      if (JSON.stringify(inputs.values ?? {}).includes(JSON.stringify(UNKNOWN))) {
        throw new Error(`${resource.name}: values hold unknowns; the real checks synthesize as an update, where all are known`);
      }
      return {
        resource,
        name: inputs.name ?? resource.name,
        namespace: inputs.namespace ?? "default",
        chart: inputs.chart,
        version: inputs.version,
        repository: inputs.repositoryOpts?.repo ?? "",
        values: (inputs.values ?? {}) as Record<string, unknown>,
        installsCrds: inputs.skipCrds !== true,
      };
    });
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null && typeof object === "object" && "kind" in object);
}

/**
 * Pulls each pinned chart once from the chart repository (the local mirror of the upstream ones) and
 * renders releases of it. `workDir` keeps the unpacked charts for the whole run.
 */
export class ChartRenderer {
  private readonly keysByChart = new Map<string, ChartKeys>();

  constructor(
    private readonly repoUrl: string,
    private readonly workDir: string,
  ) {}

  /** The unpacked chart folder, pulled on first use. */
  chartDir(chart: string, version: string): string {
    const dir = join(this.workDir, `${chart}-${version}`);
    if (!existsSync(join(dir, chart, "Chart.yaml"))) {
      mkdirSync(dir, { recursive: true });
      const pull = spawnSync(requireTool("helm"), ["pull", chart, "--repo", this.repoUrl, "--version", version, "--untar", "--untardir", dir], {
        encoding: "utf8",
      });
      if (pull.status !== 0) throw new Error(`helm pull ${chart} ${version} from ${this.repoUrl} failed: ${pull.stderr.trim()}`);
    }
    return join(dir, chart);
  }

  keys(chart: string, version: string): ChartKeys {
    const id = `${chart}-${version}`;
    if (!this.keysByChart.has(id)) this.keysByChart.set(id, chartKeys(this.chartDir(chart, version)));
    return this.keysByChart.get(id)!;
  }

  /** Values keys of the release that its chart does not know, as "release: key" messages. */
  unknownKeys(release: RemoteRelease): string[] {
    return unknownValuesKeys(this.keys(release.chart, release.version), release.values).map(
      (path) => `${release.name} (${release.chart} ${release.version}): values key "${path}" is not in the chart's values.yaml or read by its templates`,
    );
  }

  /**
   * `helm template` as `helm install` would render it on a v1.34 cluster that has `apiVersions` (the
   * CRDs the stack installs): hooks included, chart tests not (Release never runs them). A schema
   * violation or a failing template throws, naming the release.
   */
  render(release: RemoteRelease, apiVersions: readonly string[] = []): KubeObject[] {
    const chartDir = this.chartDir(release.chart, release.version);
    const valuesFile = join(this.workDir, `values-${release.name}.json`);
    writeFileSync(valuesFile, JSON.stringify(release.values));
    const args = ["template", release.name, chartDir, "--namespace", release.namespace, "-f", valuesFile, "--skip-tests", "--kube-version", "v1.34.3"];
    if (release.installsCrds) args.push("--include-crds");
    for (const apiVersion of apiVersions) args.push("--api-versions", apiVersion);
    const run = spawnSync(requireTool("helm"), args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`${release.name} (${release.chart} ${release.version}): helm template failed: ${run.stderr.trim()}`);
    return parseManifests(run.stdout);
  }

  /** Whether the chart's output depends on which APIs the cluster has. */
  readsCapabilities(release: RemoteRelease): boolean {
    const run = spawnSync("grep", ["-rlq", "Capabilities.APIVersions", this.chartDir(release.chart, release.version)]);
    return run.status === 0;
  }
}

/** `group/version` and `group/version/Kind` of every version a CRD serves, as helm's --api-versions takes them. */
export function crdApiVersions(crds: readonly KubeObject[]): string[] {
  return crds.flatMap((crd) => {
    const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served?: boolean }[] };
    return spec.versions
      .filter((version) => version.served !== false)
      .flatMap((version) => [`${spec.group}/${version.name}`, `${spec.group}/${version.name}/${spec.names.kind}`]);
  });
}

export const isCrd = (object: KubeObject) => object.kind === "CustomResourceDefinition" && object.apiVersion.startsWith("apiextensions.k8s.io/");
