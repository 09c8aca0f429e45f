import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { valuePaths } from "../../support/chart-keys";

/**
 * What a chart accepts as values, read from the real chart (values.yaml, templates, subcharts), not
 * from fixtures. Paths are JSON arrays of segments, so dotted keys such as "grafana.ini" stay whole.
 */
export interface ChartKeys {
  /** Every key path in values.yaml (and the subcharts', under their alias), with what its default is. */
  readonly defaults: Map<string, "map" | "emptyMap" | "other">;
  /** Paths the templates read (`.Values.a.b`, `index .Values "a.b"`), and dependency conditions. */
  readonly read: Set<string>;
  /** Maps a template renders or iterates whole (toYaml, toJson, tpl, range): any key below passes. */
  readonly whole: Set<string>;
}

const key = (path: readonly string[]) => JSON.stringify(path);

function walkDefaults(values: unknown, prefix: string[], into: ChartKeys["defaults"]): void {
  if (!values || typeof values !== "object" || Array.isArray(values)) return;
  for (const [name, inner] of Object.entries(values as Record<string, unknown>)) {
    const path = [...prefix, name];
    const isMap = inner !== null && typeof inner === "object" && !Array.isArray(inner);
    into.set(key(path), isMap ? (Object.keys(inner as object).length ? "map" : "emptyMap") : "other");
    walkDefaults(inner, path, into);
  }
}

/** `.Values.a.b` / `$.Values.a.b`, and `index .Values.a "b.c" "d"`. */
const valuesRef = /\.Values((?:\.[A-Za-z0-9_]+)*)/g;
const indexRef = /index\s+\$?\.Values((?:\.[A-Za-z0-9_]+)*)((?:\s+"[^"]+")+)/g;
/** A values path that a template hands whole to a function that renders or iterates it. */
const wholeRef =
  /(?:toYaml|toJson|toPrettyJson|toRawJson|tpl|range\s+(?:\$\w+\s*,\s*)?\$\w+\s*:=|"value"|"values")\s*\(?\s*(?:toYaml\s+)?\$?\.Values((?:\.[A-Za-z0-9_]+)+)/g;
/** `with .Values.x }} ... toYaml .` (the most common way to render a pass-through map). */
const withRef = /with\s+\$?\.Values((?:\.[A-Za-z0-9_]+)+)\s*-?}}[^{]*{{-?\s*(?:toYaml|tpl \(toYaml)\s+\./g;

/** `$x := .Values.a.b`: a values path held in a variable... */
const assignedRef = /\$(\w+)\s*:=\s*\$?\.Values((?:\.[A-Za-z0-9_]+)+)\s*-?}}/g;
/** ...that flows whole into a rendered or merged map (gateway-helm merges config.envoyGateway into its defaults, then toYaml). */
const wholeVariable = (name: string) => new RegExp(`(?:toYaml|toJson|merge|mergeOverwrite|deepCopy)\\s[^}]*\\$${name}\\b`);

function segments(dotted: string): string[] {
  return dotted.split(".").filter(Boolean);
}

function scanTemplates(dir: string, prefix: string[], keys: ChartKeys): void {
  const templates = join(dir, "templates");
  if (!existsSync(templates)) return;
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(templates);
  // A subchart's `.Values.global.x` is the parent's `global.x`; everything else is under its alias.
  const scoped = (path: string[]) => (path[0] === "global" ? path : [...prefix, ...path]);
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(valuesRef)) keys.read.add(key(scoped(segments(match[1]!))));
    for (const match of text.matchAll(indexRef)) {
      const indexed = [...match[2]!.matchAll(/"([^"]+)"/g)].map((quoted) => quoted[1]!);
      keys.read.add(key(scoped([...segments(match[1]!), ...indexed])));
    }
    for (const match of [...text.matchAll(wholeRef), ...text.matchAll(withRef)]) keys.whole.add(key(scoped(segments(match[1]!))));
    for (const match of text.matchAll(assignedRef)) {
      if (wholeVariable(match[1]!).test(text)) keys.whole.add(key(scoped(segments(match[2]!))));
    }
    for (const match of text.matchAll(/range\s+(?:\$\w+\s*,\s*)?\$\w+\s*:=\s*index\s+\$?\.Values((?:\.[A-Za-z0-9_]+)*)((?:\s+"[^"]+")+)/g)) {
      const indexed = [...match[2]!.matchAll(/"([^"]+)"/g)].map((quoted) => quoted[1]!);
      keys.whole.add(key(scoped([...segments(match[1]!), ...indexed])));
    }
  }
}

interface ChartYaml {
  dependencies?: { name: string; alias?: string; condition?: string }[];
}

function loadInto(dir: string, prefix: string[], keys: ChartKeys): void {
  const valuesFile = join(dir, "values.yaml");
  const values = existsSync(valuesFile) ? (parse(readFileSync(valuesFile, "utf8")) ?? {}) : {};
  const defaults = new Map<string, "map" | "emptyMap" | "other">();
  walkDefaults(values, [], defaults);
  for (const [path, kind] of defaults) {
    const segs = JSON.parse(path) as string[];
    keys.defaults.set(key(segs[0] === "global" && prefix.length ? segs : [...prefix, ...segs]), kind);
  }
  scanTemplates(dir, prefix, keys);

  const chart = parse(readFileSync(join(dir, "Chart.yaml"), "utf8")) as ChartYaml;
  const subcharts = join(dir, "charts");
  for (const dependency of chart.dependencies ?? []) {
    const alias = dependency.alias ?? dependency.name;
    keys.defaults.set(key([...prefix, alias]), keys.defaults.get(key([...prefix, alias])) ?? "map");
    for (const condition of (dependency.condition ?? "").split(",").filter(Boolean)) keys.read.add(key([...prefix, ...segments(condition)]));
    let subDir = join(subcharts, dependency.name);
    if (!existsSync(join(subDir, "Chart.yaml"))) {
      const archive = existsSync(subcharts) ? readdirSync(subcharts).find((file) => file.startsWith(`${dependency.name}-`) && file.endsWith(".tgz")) : undefined;
      if (!archive) continue;
      const scratch = mkdtempSync(join(dir, ".subchart-"));
      execFileSync("tar", ["-xzf", join(subcharts, archive), "-C", scratch]);
      subDir = join(scratch, dependency.name);
    }
    loadInto(subDir, [...prefix, alias], keys);
  }
}

/** The values a chart (an unpacked chart folder) accepts. */
export function chartKeys(chartDir: string): ChartKeys {
  const keys: ChartKeys = { defaults: new Map(), read: new Set(), whole: new Set() };
  loadInto(chartDir, [], keys);
  return keys;
}

/**
 * Values paths the chart does not know. A leaf path passes when values.yaml has it or a template reads
 * it, or when an ancestor takes any key: an empty map or a non-map default in values.yaml, a map a
 * template renders whole, or a path only the templates read (the chart documents it in comments).
 */
export function unknownValuesKeys(keys: ChartKeys, values: Record<string, unknown>): string[] {
  const known = (path: string[]) => keys.defaults.has(key(path)) || keys.read.has(key(path));
  const opens = (path: string[]) => {
    const kind = keys.defaults.get(key(path));
    if (kind === "emptyMap" || kind === "other" || keys.whole.has(key(path))) return true;
    return kind === undefined && keys.read.has(key(path));
  };
  return valuePaths(values)
    .filter((path) => path.length > 0 && !known(path) && !path.some((_, index) => index < path.length - 1 && opens(path.slice(0, index + 1))))
    .map((path) => path.join("."));
}
