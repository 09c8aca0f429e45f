import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { consoleIo, type CliIo } from "./cli-io";
import { repoRoot, stackNames } from "./stack-file";

const benchUsage = `usage: npm run bench [-- --runs <N>]

Synthesizes every committed stack N times (default 5), each run in a fresh process, and prints a
Markdown table of the median wall time, median synth time and peak memory per stack. Progress goes
to stderr, the table to stdout.

  --runs <N>   runs per stack, a whole number from 1 to 100 (default 5)
  -h, --help   print this help`;

function parse(argv: readonly string[], io: CliIo): { runs: number } | { exit: number } {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { runs: { type: "string", default: "5" }, help: { type: "boolean", short: "h", default: false } } }));
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${benchUsage}`);
    return { exit: 2 };
  }
  if (values.help) {
    io.out(benchUsage);
    return { exit: 0 };
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    io.err(`--runs: got ${JSON.stringify(values.runs)}; allowed: a whole number from 1 to 100\n\n${benchUsage}`);
    return { exit: 2 };
  }
  return { runs };
}

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;

function bench(runs: number, io: CliIo): number {
  const scratch = mkdtempSync(join(tmpdir(), "llm-platform-bench-"));
  const stacks = stackNames();
  const total = stacks.length * runs;
  let done = 0;
  io.out(`| stack | runs | median wall (s) | median synth (s) | peak RSS (MB) |`);
  io.out(`| --- | --- | --- | --- | --- |`);
  try {
    for (const stack of stacks) {
      const wall: number[] = [];
      const synth: number[] = [];
      const rss: number[] = [];
      for (let run = 0; run < runs; run++) {
        io.err(`bench: ${stack} run ${run + 1}/${runs} (${done + 1}/${total} overall)`);
        const started = performance.now();
        // A fresh process per run, as a user runs synth: the time includes Node's start and the SDK imports.
        const child = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", "synth.ts"), "--stack", stack, "--out", join(scratch, stack)], {
          cwd: repoRoot,
          encoding: "utf8",
        });
        wall.push((performance.now() - started) / 1000);
        done += 1;
        if (child.status !== 0) {
          io.err(`bench: synth of ${stack} failed:\n${child.stderr}`);
          return 1;
        }
        const match = /in ([\d.]+) s \(peak RSS (\d+) MB\)/.exec(child.stdout);
        synth.push(Number(match?.[1]));
        rss.push(Number(match?.[2]));
      }
      io.out(`| ${stack} | ${runs} | ${median(wall).toFixed(2)} | ${median(synth).toFixed(2)} | ${Math.max(...rss)} |`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return 0;
}

/** `npm run bench` (scripts/bench.ts) without the process: returns the exit code. */
export function benchMain(argv: readonly string[], io: CliIo = consoleIo): number {
  const options = parse(argv, io);
  return "exit" in options ? options.exit : bench(options.runs, io);
}
