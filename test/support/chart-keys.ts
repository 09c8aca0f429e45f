import { readFileSync } from "node:fs";
import { join } from "node:path";

type Kind = "string" | "number" | "boolean" | "null" | "list" | "map" | "openMap";
interface ChartFixture {
  keys: [string[], Kind][];
  templateOnlyKeys: string[][];
  freeFormMaps: string[][];
}

const fixtureDir = join(__dirname, "..", "fixtures", "chart-values");
const cache = new Map<string, ChartFixture>();
const load = (fixture: string): ChartFixture => {
  if (!cache.has(fixture)) cache.set(fixture, JSON.parse(readFileSync(join(fixtureDir, `${fixture}.json`), "utf8")) as ChartFixture);
  return cache.get(fixture)!;
};

/** Every key path of a values object at every depth; lists are not descended. */
export function valuePaths(values: unknown, prefix: string[] = []): string[][] {
  if (!values || typeof values !== "object" || Array.isArray(values)) return [];
  return Object.entries(values as Record<string, unknown>).flatMap(([key, inner]) => [
    [...prefix, key],
    ...valuePaths(inner, [...prefix, key]),
  ]);
}

/**
 * The keys of `values` that the pinned chart (fixture `<chart>-<version>`) does not have. A key passes
 * if values.yaml or the templates know it, or an ancestor accepts any child (openMap, list, scalar,
 * free-form map, template-only key). See test/fixtures/chart-values/NOTES.md.
 */
export function unknownChartKeys(fixture: string, values: unknown): string[] {
  const chart = load(fixture);
  const id = (path: string[]) => JSON.stringify(path);
  const kinds = new Map(chart.keys.map(([path, kind]) => [id(path), kind]));
  const open = new Set([...chart.freeFormMaps, ...chart.templateOnlyKeys].map(id));
  const known = (path: string[]) => kinds.has(id(path)) || chart.templateOnlyKeys.some((p) => id(p) === id(path));
  const acceptsAnyChild = (path: string[]) => {
    const kind = kinds.get(id(path));
    return open.has(id(path)) || (kind !== undefined && kind !== "map");
  };
  return valuePaths(values)
    .filter((path) => !known(path))
    .filter((path) => !path.slice(0, -1).some((_, index) => acceptsAnyChild(path.slice(0, index + 1))))
    .map((path) => path.join("."));
}
