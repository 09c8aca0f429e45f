/**
 * Checks that keep the docs true to the repository: each returns the problems it finds in one page's
 * text (an empty list when the page is right), so tests can feed them deliberately wrong text too.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { z } from "zod";
import { platformSchema, projectName } from "../../stacks/config/schema";
import { repoRoot } from "../../scripts/lib/stack-file";

/** The Markdown pages the checks read: the README, every docs/ page and the serving chart's README. */
export function docPages(root = repoRoot): string[] {
  const docs = readdirSync(join(root, "docs")).filter((file) => file.endsWith(".md")).sort().map((file) => `docs/${file}`);
  return ["README.md", ...docs, "charts/llm-serving/README.md"];
}

/** Backticked spans, without fenced code blocks' fences. */
const spans = (text: string) => [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]!);

export function missingNpmScripts(text: string, root = repoRoot): string[] {
  const scripts = Object.keys((JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: object }).scripts);
  return [...text.matchAll(/npm run ([\w:-]+)/g)].map((match) => match[1]!).filter((script) => !scripts.includes(script)).map((script) => `npm run ${script}: no such script in package.json`);
}

/** Top-level folders of the repository that docs name paths under (ignored build output excluded). */
function repoFolders(root: string): string[] {
  const ignored = readFileSync(join(root, ".gitignore"), "utf8").split("\n").map((line) => line.replace(/\/$/, "").trim()).filter(Boolean);
  return readdirSync(root).filter((entry) => entry !== ".git" && !ignored.includes(entry) && statSync(join(root, entry)).isDirectory());
}

/**
 * Repository paths in backticks: `components/versions.ts`, `docs/`, `Pulumi.local.yaml`. A span is a path
 * when its first segment is a folder of the repository (so `nvidia.com/gpu` or `Qwen/Qwen2.5-0.5B` are not),
 * or it is a stack file name; placeholders (`<stack>`) and globs are left out.
 */
export function missingPaths(text: string, root = repoRoot): string[] {
  const folders = repoFolders(root);
  return spans(text)
    .filter((span) => /^[\w.-]+(\/[\w.-]+)*\/?$/.test(span))
    .filter((span) => (span.includes("/") && folders.includes(span.split("/")[0]!)) || /^Pulumi\.[\w-]+\.yaml$/.test(span))
    .filter((span) => !existsSync(join(root, span)))
    .map((span) => `${span}: no such file or folder`);
}

/** Every config key path the schema accepts, `addons.ingress.replicas` and `models[].engine` style. */
export function configKeyPaths(): Set<string> {
  type Json = { properties?: Record<string, Json>; items?: Json; anyOf?: Json[]; oneOf?: Json[] };
  const paths = new Set<string>();
  const walk = (schema: Json, path: string) => {
    for (const option of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) walk(option, path);
    if (schema.items) {
      paths.add(`${path}[]`);
      walk(schema.items, `${path}[]`);
    }
    for (const [key, child] of Object.entries(schema.properties ?? {})) {
      const childPath = path ? `${path}.${key}` : key;
      paths.add(childPath);
      walk(child, childPath);
    }
  };
  walk(z.toJSONSchema(platformSchema, { io: "input", unrepresentable: "any" }) as Json, "");
  return paths;
}

/**
 * Config keys the text names: `llm-platform:<path>`, a dotted path from a top-level key
 * (`addons.ingress.implementation`, `serving.consumers[0].name`), a list-item path from anywhere
 * (`gpuPools[].localStorage`), and the key of `pulumi config set [--path]`.
 */
export function unknownConfigKeys(text: string, paths = configKeyPaths()): string[] {
  const top = new Set([...paths].filter((path) => !/[.[]/.test(path)));
  const normal = (key: string) => key.replace(`${projectName}:`, "").replace(/\[\d*\]/g, "[]");
  const spanKeys = spans(text).filter((span) => /^(llm-platform:)?[A-Za-z]\w*(\[\d*\])?(\.\w+(\[\d*\])?)*$/.test(span));
  const setKeys = [...text.matchAll(/pulumi config set (?:--secret )?(?:--path )?'?([A-Za-z][\w.[\]]*)/g)].map((match) => match[1]!);
  const problems: string[] = [];
  for (const key of [...spanKeys, ...setKeys.map((key) => `${projectName}:${key}`)]) {
    const path = normal(key);
    const nested = /[.[]/.test(path);
    if (key.startsWith(`${projectName}:`) || (nested && top.has(path.split(/[.[]/)[0]!))) {
      if (!paths.has(path)) problems.push(`${key}: no such config key`);
    } else if (/\[\]\./.test(path) && ![...paths].some((known) => known.endsWith(`.${path}`))) {
      problems.push(`${key}: no such config key`);
    }
  }
  return problems;
}

/** GitHub's heading anchors. */
export function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
      match[1]!.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-"),
    ),
  );
}

/** Relative links (`[x](docs/page.md#anchor)`) whose file or heading does not exist; `pending` files may be missing. */
export function brokenLinks(text: string, page: string, pending: readonly string[] = [], root = repoRoot): string[] {
  const problems: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue;
    const [file, anchor] = target!.split("#") as [string, string | undefined];
    const resolved = file ? relative(root, join(root, dirname(page), file)) : page;
    if (!existsSync(join(root, resolved))) {
      if (!pending.includes(resolved)) problems.push(`${page}: link to ${target}: ${resolved} does not exist`);
      continue;
    }
    if (anchor && resolved.endsWith(".md") && !anchors(readFileSync(join(root, resolved), "utf8")).has(anchor)) {
      problems.push(`${page}: link to ${target}: no heading #${anchor} in ${resolved}`);
    }
  }
  return problems;
}

/** docs/ pages the README does not link to. */
export function unlinkedPages(readme: string, pages: readonly string[]): string[] {
  const linked = new Set([...readme.matchAll(/\]\(([^)#\s]+)/g)].map((match) => match[1]!.replace(/^\.\//, "")));
  return pages.filter((page) => page.startsWith("docs/") && !linked.has(page)).map((page) => `${page} is not linked from README.md`);
}
