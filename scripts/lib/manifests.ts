import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";
import { repoRoot } from "./stack-file";
import { UNKNOWN, type SynthResource } from "./synthesize";
import { requireTool } from "./tools";

export interface Manifest {
  /** The resource it comes from: a Kubernetes resource, or the Helm release of a local chart. */
  readonly source: string;
  readonly object: Record<string, unknown>;
}

const kubernetesObjectType = /^kubernetes:([^:]+):([^:]+)$/;
const helmRelease = "kubernetes:helm.sh/v3:Release";

/** A Release whose chart is a folder of this repo, which helm can render offline. */
export function localChartPath(resource: SynthResource): string | undefined {
  if (resource.type !== helmRelease) return undefined;
  const chart = resource.inputs.chart;
  if (typeof chart !== "string" || !(chart.startsWith("./") || isAbsolute(chart))) return undefined;
  const path = isAbsolute(chart) ? chart : join(repoRoot, chart);
  return existsSync(join(path, "Chart.yaml")) ? path : undefined;
}

/** Renders a local chart with exactly the values the program computed. */
export function helmTemplate(resource: SynthResource, chartPath: string): Record<string, unknown>[] {
  const helm = requireTool("helm");
  const scratch = mkdtempSync(join(tmpdir(), "synth-values-"));
  try {
    const valuesFile = join(scratch, "values.json");
    writeFileSync(valuesFile, JSON.stringify(resource.inputs.values ?? {}));
    const releaseName = String(resource.inputs.name ?? resource.name);
    const namespace = String(resource.inputs.namespace ?? "default");
    const rendered = execFileSync(helm, ["template", releaseName, chartPath, "--namespace", namespace, "-f", valuesFile], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return parseAllDocuments(rendered)
      .map((document) => document.toJS() as Record<string, unknown> | null)
      .filter((object): object is Record<string, unknown> => object !== null);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Every Kubernetes object known offline: direct resources and rendered local charts. */
export function manifestsOf(resources: readonly SynthResource[]): Manifest[] {
  const manifests: Manifest[] = [];
  for (const resource of resources) {
    if (!resource.custom) continue;
    const chartPath = localChartPath(resource);
    // In a preview of a new stack some values are not known yet (e.g. an IAM role ARN); Pulumi cannot
    // render such a release either, so it stays in resources.json only.
    if (chartPath && JSON.stringify(resource.inputs.values ?? {}).includes(JSON.stringify(UNKNOWN))) continue;
    if (chartPath) {
      for (const object of helmTemplate(resource, chartPath)) manifests.push({ source: resource.urn, object });
      continue;
    }
    const match = kubernetesObjectType.exec(resource.type);
    if (!match || resource.type === helmRelease || match[1]!.startsWith("helm.sh") || match[1]!.startsWith("yaml")) continue;
    const [group, version] = match[1]!.split("/");
    const apiVersion = group === "core" ? version! : `${group}/${version}`;
    manifests.push({ source: resource.urn, object: { ...resource.inputs, apiVersion, kind: match[2]! } });
  }
  return manifests;
}

/** A stable, readable file name per object. */
export function manifestFileName(manifest: Manifest, index: number): string {
  const metadata = (manifest.object.metadata ?? {}) as { name?: string; namespace?: string };
  const parts = [String(manifest.object.kind), metadata.namespace, metadata.name].filter(Boolean).join("-");
  return `${String(index).padStart(3, "0")}-${parts.toLowerCase().replace(/[^a-z0-9.-]+/g, "-")}.yaml`;
}

/**
 * YAML 1.1 quoting, because kubectl and most Kubernetes tools parse YAML 1.1: in 1.2 an annotation
 * value "off" or "yes" is written bare, and a 1.1 reader turns it into a boolean.
 */
export const toYaml = (object: Record<string, unknown>) => stringify(object, { lineWidth: 0, version: "1.1" });
