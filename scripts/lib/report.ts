import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { manifestFileName, manifestsOf, toYaml } from "./manifests";
import { prepareOutDir } from "./out-dir";
import type { SynthResource, SynthResult } from "./synthesize";

/** Longest chain of resources each waiting on the previous (dependsOn and provider edges). */
export function dependencyDepth(resources: readonly SynthResource[]): number {
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const depth = new Map<string, number>();
  const visit = (urn: string, stack: Set<string>): number => {
    const known = depth.get(urn);
    if (known !== undefined) return known;
    const resource = byUrn.get(urn);
    if (!resource || stack.has(urn)) return 0;
    stack.add(urn);
    const edges = [...resource.dependsOn, ...(resource.provider ? [resource.provider] : [])];
    const value = 1 + Math.max(0, ...edges.map((edge) => visit(edge, stack)));
    stack.delete(urn);
    depth.set(urn, value);
    return value;
  };
  return Math.max(0, ...resources.map((resource) => visit(resource.urn, new Set())));
}

export function countsByType(resources: readonly SynthResource[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const resource of resources) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Writes resources.json, outputs.json and manifests/ to `outDir`, a new folder or one synth wrote before. */
export function writeSynthOutput(result: SynthResult, outDir: string): { manifests: number } {
  const manifests = manifestsOf(result.resources);
  prepareOutDir(outDir);
  mkdirSync(join(outDir, "manifests"), { recursive: true });
  writeFileSync(join(outDir, "resources.json"), `${JSON.stringify(result.resources, null, 2)}\n`);
  writeFileSync(join(outDir, "outputs.json"), `${JSON.stringify(result.outputs, null, 2)}\n`);
  manifests.forEach((manifest, index) => {
    writeFileSync(join(outDir, "manifests", manifestFileName(manifest, index)), toYaml(manifest.object));
  });
  return { manifests: manifests.length };
}

export function summary(result: SynthResult, manifestCount: number, options: { preview?: boolean } = {}): string {
  const kind = options.preview ? " (preview of a new stack: values providers compute are [unknown])" : "";
  const lines = [
    `stack ${result.stack}${kind}: ${result.resources.length} resources, ${manifestCount} manifests, dependency depth ${dependencyDepth(result.resources)}`,
    ...countsByType(result.resources).map(([type, count]) => `  ${String(count).padStart(4)}  ${type}`),
  ];
  if (result.placeholderSecrets.length > 0) {
    lines.push(`  note: not in the stack file, synthesized with placeholders: ${result.placeholderSecrets.join(", ")}`);
  }
  return lines.join("\n");
}
