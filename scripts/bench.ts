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

const usage = `usage: npm run bench [-- --runs <N>]

Synthesizes every committed stack N times (default 5), each run in a fresh process, and prints a
Markdown table of the median wall time, median synth time and peak memory per stack. Progress goes
to stderr, the table to stdout.

  --runs <N>   runs per stack, a whole number from 1 to 100 (default 5)
  -h, --help   print this help`;

function parse(): { runs: number } | { exit: number } {
  let values;
  try {
    ({ values } = parseArgs({ options: { runs: { type: "string", default: "5" }, help: { type: "boolean", short: "h", default: false } } }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return { exit: 2 };
  }
  if (values.help) {
    console.log(usage);
    return { exit: 0 };
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    console.error(`--runs: got ${JSON.stringify(values.runs)}; allowed: a whole number from 1 to 100\n\n${usage}`);
    return { exit: 2 };
  }
  return { runs };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

function bench(runs: number): number {
  const scratch = mkdtempSync(join(tmpdir(), "llm-platform-bench-"));
  const stacks = stackNames();
  const total = stacks.length * runs;
  let done = 0;
  console.log(`| stack | runs | median wall (s) | median synth (s) | peak RSS (MB) |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  try {
    for (const stack of stacks) {
      const wall: number[] = [];
      const synth: number[] = [];
      const rss: number[] = [];
      for (let run = 0; run < runs; run++) {
        process.stderr.write(`bench: ${stack} run ${run + 1}/${runs} (${done + 1}/${total} overall)\n`);
        const started = performance.now();
        const child = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "synth.ts"), "--stack", stack, "--out", join(scratch, stack)], {
          cwd: repoRoot,
          encoding: "utf8",
        });
        wall.push((performance.now() - started) / 1000);
        done += 1;
        if (child.status !== 0) {
          console.error(`bench: synth of ${stack} failed:\n${child.stderr}`);
          return 1;
        }
        const match = /in ([\d.]+) s \(peak RSS (\d+) MB\)/.exec(child.stdout);
        synth.push(Number(match?.[1]));
        rss.push(Number(match?.[2]));
      }
      console.log(`| ${stack} | ${runs} | ${median(wall).toFixed(2)} | ${median(synth).toFixed(2)} | ${Math.max(...rss)} |`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return 0;
}

const options = parse();
process.exit("exit" in options ? options.exit : bench(options.runs));
