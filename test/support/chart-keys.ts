import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../scripts/lib/stack-file";

type Kind = "string" | "number" | "boolean" | "null" | "list" | "map" | "openMap";
interface ChartFixture {
  keys: [string[], Kind][];
  templateOnlyKeys: string[][];
  freeFormMaps: string[][];
}

/** Every leaf path of a values object, as segment lists (arrays are leaves: charts take them whole). */
function leafPaths(values: unknown, prefix: string[] = []): string[][] {
  if (values && typeof values === "object" && !Array.isArray(values) && Object.keys(values).length > 0) {
    return Object.entries(values as Record<string, unknown>).flatMap(([key, inner]) => leafPaths(inner, [...prefix, key]));
  }
  return [prefix];
}

/**
 * The values keys we pass that the pinned upstream chart does not know (see test/fixtures/chart-values/NOTES.md):
 * a key is known if it is listed, template-only, or under an open map, a list, a scalar or a free-form map.
 */
export function unknownChartKeys(fixtureFile: string, values: Record<string, unknown>): string[] {
  const fixture = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "chart-values", fixtureFile), "utf8")) as ChartFixture;
  const id = (path: readonly string[]) => JSON.stringify(path);
  const kinds = new Map(fixture.keys.map(([path, kind]) => [id(path), kind]));
  const templateOnly = new Set(fixture.templateOnlyKeys.map(id));
  const freeForm = new Set(fixture.freeFormMaps.map(id));
  const known = (path: string[]): boolean => {
    if (kinds.has(id(path)) || templateOnly.has(id(path))) return true;
    for (let length = path.length - 1; length > 0; length--) {
      const parent = path.slice(0, length);
      const kind = kinds.get(id(parent));
      if (freeForm.has(id(parent)) || templateOnly.has(id(parent))) return true;
      if (kind && kind !== "map") return true;
    }
    return false;
  };
  return leafPaths(values).filter((path) => !known(path)).map((path) => path.join("."));
}
