import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChartPin } from "../../components/versions";
import { repoRoot } from "../../scripts/lib/stack-file";

type Kind = "string" | "number" | "boolean" | "null" | "list" | "map" | "openMap";
interface ChartFixture {
  keys: [string[], Kind][];
  templateOnlyKeys: string[][];
  freeFormMaps: string[][];
}

const join1 = (path: readonly string[]) => JSON.stringify(path);

/** The key structure of a pinned chart's values.yaml (test/fixtures/chart-values/<chart>-<version>.json). */
export function chartFixture(pin: ChartPin): ChartFixture {
  const file = join(repoRoot, "test", "fixtures", "chart-values", `${pin.chart}-${pin.version}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as ChartFixture;
}

/** Every leaf path of a values object; arrays and empty objects count as leaves. */
export function valuePaths(values: unknown, prefix: string[] = []): string[][] {
  if (values === null || typeof values !== "object" || Array.isArray(values)) return [prefix];
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length === 0) return [prefix];
  return entries.flatMap(([key, inner]) => valuePaths(inner, [...prefix, key]));
}

/**
 * Values paths the pinned chart does not know. A path passes if the chart lists it (in values.yaml or
 * read by a template), or if an ancestor accepts any key: an openMap, a list, a scalar or a free-form map.
 */
export function unknownValueKeys(pin: ChartPin, values: Record<string, unknown>): string[] {
  const fixture = chartFixture(pin);
  const kinds = new Map(fixture.keys.map(([path, kind]) => [join1(path), kind]));
  const templateOnly = new Set(fixture.templateOnlyKeys.map(join1));
  const freeForm = new Set(fixture.freeFormMaps.map(join1));
  const known = (path: string[]) => kinds.has(join1(path)) || templateOnly.has(join1(path));
  const opensUp = (path: string[]) => {
    const kind = kinds.get(join1(path));
    return freeForm.has(join1(path)) || templateOnly.has(join1(path)) || (kind !== undefined && kind !== "map");
  };
  // The root of empty values ({}) is no key: a chart without values (a CRD chart) takes it.
  return valuePaths(values)
    .filter((path) => path.length > 0 && !known(path) && !path.some((_, index) => index < path.length - 1 && opensUp(path.slice(0, index + 1))))
    .map((path) => path.join("."));
}
