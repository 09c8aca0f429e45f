import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

/**
 * promtool runs alert rules in Prometheus's own rule engine (`promtool test rules`). It is optional
 * (Debian package `prometheus`, or go install .../cmd/promtool): without it the tests that need it skip.
 */
export const promtool: string | undefined = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

interface Verdict {
  readonly ok: boolean;
  readonly output: string;
}

function runPromtool(args: string[], cwd: string): Verdict {
  const run = spawnSync(promtool!, args, { cwd, encoding: "utf8" });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/**
 * The promtool scenarios of one test file, run by two promtool processes for all of them: `check
 * rules` over every distinct rule file, then `test rules` over every test file. Each promtool start
 * costs about what a short scenario does. When either run fails, each file runs again alone, so that
 * every scenario gets its own verdict and the failing test shows promtool's message for it.
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
   * Registers a scenario (while the test file is collected) and returns its verdict's reader, for the
   * test to call: promtool's output when the rules pass `check rules` and the tests pass, else an
   * error with that output. The first reader to be called runs the whole batch.
   */
  add(rules: { groups: unknown[] }, tests: unknown[], evaluationInterval = "1m"): () => string {
    const ruleFile = this.ruleFile(rules);
    const file = `tests-${this.testFiles.length}.yaml`;
    writeFileSync(join(this.dir, file), stringify({ rule_files: [ruleFile], evaluation_interval: evaluationInterval, tests }));
    this.testFiles.push({ file, ruleFile });
    return () => {
      this.verdict("check", ruleFile);
      return this.verdict("test", file);
    };
  }

  /** Registers rules for `promtool check rules` alone (as deployed, say); returns the verdict's reader, as add does. */
  check(rules: { groups: unknown[] }): () => string {
    const ruleFile = this.ruleFile(rules);
    return () => this.verdict("check", ruleFile);
  }

  private ruleFile(rules: { groups: unknown[] }): string {
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
    const verdict = (this.verdicts ??= this.run()).get(file)!;
    if (!verdict.ok) throw new Error(`promtool ${command} rules ${file} (in ${this.dir}):\n${verdict.output}`);
    return verdict.output;
  }

  private run(): Map<string, Verdict> {
    const verdicts = new Map<string, Verdict>();
    const each = (command: string, files: string[]) => {
      const together = runPromtool([command, "rules", ...files], this.dir);
      for (const file of files) verdicts.set(file, together.ok ? together : runPromtool([command, "rules", file], this.dir));
    };
    each("check", [...this.ruleFiles.values()]);
    each("test", this.testFiles.map(({ file }) => file));
    return verdicts;
  }
}
