import type { SynthResource, SynthResult } from "../../scripts/lib/synthesize";
import { ofType } from "./synth";

/** Helm releases of one chart. */
export const releasesOf = (result: SynthResult, chart: string): SynthResource[] =>
  ofType(result, "kubernetes:helm.sh/v3:Release").filter((release) => release.inputs.chart === chart);

/** Names of the resources `resource` depends on (explicitly or through its inputs), sorted. */
export const dependsOnNames = (result: SynthResult, resource: SynthResource): string[] =>
  resource.dependsOn.map((urn) => result.resources.find((r) => r.urn === urn)?.name ?? urn).sort();
