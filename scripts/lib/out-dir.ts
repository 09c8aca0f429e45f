import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, parse, relative, resolve, sep } from "node:path";
import { repoRoot } from "./stack-file";

/** The file synth leaves in every folder it writes; only a folder holding it is ever replaced. */
export const synthMarker = ".llm-platform-synth";

const isInside = (child: string, parent: string) => {
  const path = relative(parent, child);
  return path === "" || (!path.startsWith("..") && !path.startsWith(sep) && path !== "..");
};

/** The real path of `path`, or of its nearest existing ancestor plus the rest, so that symlinks cannot hide where it is. */
function realish(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realish(parent), path.slice(parent.length));
}

/**
 * Why synth must not write to `outDir`, or undefined when it may: a new or empty folder, or one synth
 * wrote before (it has the marker). Never the repository, the current folder, a home folder, a
 * filesystem root, any of their ancestors, or anything inside .git, whatever the folder holds.
 */
export function outDirProblem(outDir: string, cwd = process.cwd()): string | undefined {
  const target = realish(resolve(cwd, outDir));
  const protectedFolders: [string, string][] = [
    [parse(target).root, "the filesystem root"],
    [realish(repoRoot), "the repository"],
    [realish(cwd), "the current folder"],
    [realish(homedir()), "your home folder"],
  ];
  for (const [folder, what] of protectedFolders) {
    if (isInside(folder, target)) return `refusing to write to ${outDir}: it is ${target === folder ? what : `an ancestor of ${what}`} (${folder}); pass a new folder such as out/<stack>`;
  }
  if (target.split(sep).includes(".git")) return `refusing to write to ${outDir}: it is inside a .git folder`;
  if (!existsSync(target)) return undefined;
  if (lstatSync(resolve(cwd, outDir)).isSymbolicLink()) return `refusing to write to ${outDir}: it is a symbolic link; pass the folder itself`;
  if (!lstatSync(target).isDirectory()) return `refusing to write to ${outDir}: it exists and is not a folder`;
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(synthMarker)) {
    return `refusing to replace ${outDir}: it holds ${entries.length} entr${entries.length === 1 ? "y" : "ies"} and synth did not write it (no ${synthMarker} file); pass a new or empty folder, or remove it yourself`;
  }
  return undefined;
}

/** Empties `outDir` (after outDirProblem said it may) and marks it as synth's. */
export function prepareOutDir(outDir: string): void {
  const problem = outDirProblem(outDir);
  if (problem) throw new Error(problem);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, synthMarker), "Written by `npm run synth`; synth replaces this folder on its next run.\n");
}
