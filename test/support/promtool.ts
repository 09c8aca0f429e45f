import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { findTool } from "../../scripts/lib/tools";

/**
 * promtool runs alert rules in Prometheus's own rule engine (`promtool test rules`): the pinned build
 * (.ci/tools.json: Prometheus v3.14.0, as kube-prometheus-stack runs it), else one on PATH. Without
 * either, the tests that need it skip.
 */
export const promtool: string | undefined = findTool("promtool");

interface Verdict {
  readonly ok: boolean;
  readonly output: string;
}

/** One promtool process, without blocking the worker: its exit, its output, or why it could not start. */
function runPromtool(args: string[], cwd: string): Promise<Verdict> {
  return new Promise((resolve) => {
    execFile(promtool!, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const failure = error && typeof error.code !== "number" ? `promtool did not run: ${error.message}\n` : "";
      resolve({ ok: !error, output: `${failure}${stdout}${stderr}` });
    });
  });
}

/**
 * The promtool scenarios of one test file, run by two promtool processes for all of them: `check
 * rules` over every distinct rule file, then `test rules` over every test file. Each promtool start
 * costs about what a short scenario does. When either run fails, each file runs again alone, so that
 * every scenario gets its own verdict and the failing test shows promtool's message for it.
 * Register the scenarios while the file is collected, call `run` in a beforeAll (it has the hook's
 * timeout, not one test's), and read each verdict in its test.
 */
export class PromtoolBatch {
  private readonly dir: string;
  private readonly ruleFiles = new Map<string, string>();
  private readonly testFiles: { file: string; ruleFile: string }[] = [];
  private verdicts?: Map<string, Verdict>;

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `llm-promtool-${name}-`));
  }

  /**
   * Registers a scenario and returns its verdict's reader, for the test to call after `run`:
   * promtool's output when the rules pass `check rules` and the tests pass, else an error with that output.
   */
  add(rules: { groups: readonly { name: string }[] }, tests: unknown[], evaluationInterval = "1m"): () => string {
    const ruleFile = this.ruleFile(rules);
    const file = `tests-${this.testFiles.length}.yaml`;
    // Groups in the order given, each step: an alert reads the recordings of the same step, as in a
    // Prometheus that evaluates every few seconds. Without the order promtool picks one at random, and
    // Prometheus 3's left-open lookback then misses a recording exactly one (5-minute) step old.
    const groupEvalOrder = rules.groups.map((group) => group.name);
    writeFileSync(join(this.dir, file), stringify({ rule_files: [ruleFile], evaluation_interval: evaluationInterval, group_eval_order: groupEvalOrder, tests }));
    this.testFiles.push({ file, ruleFile });
    return () => {
      this.verdict("check", ruleFile);
      return this.verdict("test", file);
    };
  }

  /** Registers rules for `promtool check rules` alone (as deployed, say); returns the verdict's reader, as add does. */
  check(rules: { groups: readonly { name: string }[] }): () => string {
    const ruleFile = this.ruleFile(rules);
    return () => this.verdict("check", ruleFile);
  }

  /** Runs every registered scenario: for a beforeAll. */
  async run(): Promise<void> {
    const verdicts = new Map<string, Verdict>();
    const each = async (command: string, files: string[]) => {
      const together = await runPromtool([command, "rules", ...files], this.dir);
      for (const file of files) verdicts.set(file, together.ok ? together : await runPromtool([command, "rules", file], this.dir));
    };
    await each("check", [...this.ruleFiles.values()]);
    await each("test", this.testFiles.map(({ file }) => file));
    this.verdicts = verdicts;
  }

  private ruleFile(rules: { groups: readonly { name: string }[] }): string {
    if (this.verdicts) throw new Error("PromtoolBatch: a scenario registered after the batch ran; register every one while the test file is collected");
    const text = stringify(rules);
    let file = this.ruleFiles.get(text);
    if (!file) {
      file = `rules-${this.ruleFiles.size}.yaml`;
      writeFileSync(join(this.dir, file), text);
      this.ruleFiles.set(text, file);
    }
    return file;
  }

  private verdict(command: "check" | "test", file: string): string {
    if (!this.verdicts) throw new Error("PromtoolBatch: read a verdict before the batch ran; call run() in a beforeAll");
    const verdict = this.verdicts.get(file)!;
    if (!verdict.ok) throw new Error(`promtool ${command} rules ${file} (in ${this.dir}):\n${verdict.output}`);
    return verdict.output;
  }
}
