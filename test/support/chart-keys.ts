import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChartPin } from "../../components/versions";
import { repoRoot } from "../../scripts/lib/stack-file";

type Kind = "string" | "number" | "boolean" | "null" | "list" | "map" | "openMap";
interface ChartFacts {
  keys: [string[], Kind][];
  templateOnlyKeys: string[][];
  freeFormMaps: string[][];
}

/** Reads the upstream values.yaml key structure of a pinned chart (test/fixtures/chart-values/). */
export function chartFacts(pin: ChartPin): ChartFacts {
  return JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "chart-values", `${pin.chart}-${pin.version}.json`), "utf8")) as ChartFacts;
}

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, inner]) => leafPaths(inner, [...prefix, key]));
  }
  return [prefix];
}

/**
 * Every key path in `values` the pinned chart does not know. A path is known when it is in `keys` or
 * `templateOnlyKeys`, or when an ancestor is a free-form map, an open map, a list or a scalar.
 */
export function unknownChartKeys(pin: ChartPin, values: Record<string, unknown>): string[] {
  const facts = chartFacts(pin);
  const id = (path: readonly string[]) => JSON.stringify(path);
  const kinds = new Map(facts.keys.map(([path, kind]) => [id(path), kind]));
  const known = new Set([...kinds.keys(), ...facts.templateOnlyKeys.map(id)]);
  const freeForm = new Set(facts.freeFormMaps.map(id));
  const covered = (path: string[]): boolean => {
    if (known.has(id(path))) return true;
    for (let length = path.length - 1; length > 0; length--) {
      const ancestor = path.slice(0, length);
      const kind = kinds.get(id(ancestor));
      if (freeForm.has(id(ancestor)) || (kind !== undefined && kind !== "map")) return true;
    }
    return false;
  };
  return leafPaths(values).filter((path) => !covered(path)).map((path) => path.join("."));
}
