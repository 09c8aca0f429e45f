import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { repoRoot } from "../../scripts/lib/stack-file";

/** Static `import ... from "x"` and `export ... from "x"` specifiers, without type-only ones (erased at run time). */
function runtimeSpecifiers(source: string): string[] {
  const statements = source.match(/^(?:import|export)\s(?!type\s)[^;]*?\sfrom\s+"[^"]+"/gms) ?? [];
  return statements.map((statement) => /"([^"]+)"$/.exec(statement)![1]!);
}

function resolveLocal(from: string, specifier: string): string | undefined {
  const base = join(dirname(from), specifier);
  return [`${base}.ts`, join(base, "index.ts")].find((file) => existsSync(file));
}

/**
 * The packages a repository module loads at run time through its static imports, transitively, each
 * with the first local module that imports it: `{ "@pulumi/pulumi": "components/x.ts" }`.
 */
export function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeSpecifiers(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) {
        const target = resolveLocal(file, specifier);
        if (target) visit(target);
      } else if (!specifier.startsWith("node:") && !packages.has(specifier)) {
        packages.set(specifier, relative(repoRoot, file));
      }
    }
  };
  visit(join(repoRoot, entry));
  return packages;
}
