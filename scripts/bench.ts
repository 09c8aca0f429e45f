/**
 * npm run bench [-- --runs N]: synthesizes every stack N times, each in a fresh process as a user
 * would run it, and reports the median wall time and peak memory per stack. Not a test: it prints.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot, stackNames } from "./lib/stack-file";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const scratch = mkdtempSync(join(tmpdir(), "llm-platform-bench-"));

console.log(`| stack | runs | median wall (s) | median synth (s) | peak RSS (MB) |`);
console.log(`| --- | --- | --- | --- | --- |`);
for (const stack of stackNames()) {
  const wall: number[] = [];
  const synth: number[] = [];
  const rss: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "synth.ts"), "--stack", stack, "--out", join(scratch, stack)], {
      cwd: repoRoot,
      encoding: "utf8",
    });
    wall.push((performance.now() - started) / 1000);
    if (child.status !== 0) {
      console.error(child.stderr);
      process.exit(1);
    }
    const match = /in ([\d.]+) s \(peak RSS (\d+) MB\)/.exec(child.stdout);
    synth.push(Number(match?.[1]));
    rss.push(Number(match?.[2]));
  }
  console.log(`| ${stack} | ${runs} | ${median(wall).toFixed(2)} | ${median(synth).toFixed(2)} | ${Math.max(...rss)} |`);
}
rmSync(scratch, { recursive: true, force: true });
