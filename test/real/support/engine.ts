import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { repoRoot } from "../../../scripts/lib/stack-file";

/**
 * The Pulumi engine of the real checks: the offline build of ../shared/engine/build.sh in the tool
 * cache (CLI, Node.js language host, kubernetes/random/command providers), else a Pulumi CLI on PATH
 * (a user's own install, which fetches its plugins as usual).
 */
export const engineCache = process.env.LLM_PLATFORM_ENGINE ?? join(process.env.LLM_PLATFORM_CACHE ?? join(homedir(), ".cache", "llm-platform"), "engine");

export interface Engine {
  /** The bin folder of the offline build, or undefined for a CLI on PATH. */
  readonly offlineBin?: string;
}

export function findEngine(): Engine {
  const offlineBin = join(engineCache, "bin");
  if (existsSync(join(offlineBin, "pulumi"))) return { offlineBin };
  if (spawnSync("pulumi", ["version"], { encoding: "utf8" }).status === 0) return {};
  throw new Error(
    `no Pulumi engine: neither ${offlineBin}/pulumi nor a pulumi CLI on PATH. Build the offline one once with ` +
      `../shared/engine/build.sh ${engineCache} (needs Go and the Go module proxy; ~20 min cold), or install the Pulumi CLI.`,
  );
}

/**
 * Warnings the engine prints that are about the offline build, not about this project: plugins taken
 * from PATH, and the two providers that are older than the SDKs in package-lock.json
 * (../shared/engine/README.md, "Known version mismatches"). Every other warning fails a real check.
 */
export const allowedEngineWarnings: readonly RegExp[] = [
  /^using pulumi-(resource-(kubernetes|random|command)|language-nodejs) from \$PATH at \S+$/,
  /^resource plugin kubernetes is expected to have version >=4\.34\.2, but has 4\.25\.0; the wrong version may be on your path, or this may be a bug in the plugin$/,
  /^resource plugin random is expected to have version >=4\.21\.2, but has 4\.21\.1; the wrong version may be on your path, or this may be a bug in the plugin$/,
];

/** What one engine command reported, from its event log (the stream the Automation API reads). */
export interface EngineRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Resource operations by kind ("create", "update", "delete", "same", ...), from the summary event. */
  readonly changes: Record<string, number>;
  /** Warnings and errors: the engine's diagnostics, policy findings and `warning:` lines on stderr. */
  readonly findings: string[];
  /** Policy packs that ran (their names). */
  readonly policyPacks: string[];
  /** Each step the engine planned: operation, URN, type and the inputs it sent (secrets as "[secret]"). */
  readonly planned: PlannedStep[];
  readonly seconds: number;
}

export interface PlannedStep {
  readonly op: string;
  readonly urn: string;
  readonly type: string;
  readonly inputs: Record<string, unknown>;
}

type EngineEvent = {
  diagnosticEvent?: { severity: string; message: string; urn?: string; ephemeral?: boolean };
  policyEvent?: { policyName: string; enforcementLevel: string; message: string; resourceUrn?: string };
  resourcePreEvent?: { metadata: { op: string; urn: string; type: string; new?: { inputs?: Record<string, unknown> } } };
  // PolicyPacks is PascalCase on the wire (apitype.SummaryEvent: a JSON tag added too late to change).
  summaryEvent?: { resourceChanges?: Record<string, number>; PolicyPacks?: Record<string, string> };
};

const stripColor = (text: string) => text.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*m/g, "").trim();

function findingsOf(events: EngineEvent[], stderr: string): string[] {
  const findings: string[] = [];
  for (const { diagnosticEvent: d, policyEvent: p } of events) {
    // Ephemeral diagnostics are progress lines that the next status replaces (e.g. "Has no
    // .status.conditions" while the provider waits for a condition), not findings.
    if (d && !d.ephemeral && (d.severity === "warning" || d.severity === "error")) findings.push(`${d.severity}: ${stripColor(d.message)}${d.urn ? ` (${d.urn})` : ""}`);
    // Every policy finding counts, advisory ones too: "can't run policy ... during preview" is advisory.
    if (p) findings.push(`policy ${p.policyName} (${p.enforcementLevel}): ${stripColor(p.message)}${p.resourceUrn ? ` (${p.resourceUrn})` : ""}`);
  }
  for (const line of stderr.split("\n")) {
    const match = /^warning: (.*)$/.exec(stripColor(line));
    if (match) findings.push(`warning: ${match[1]}`);
  }
  const allowed = (finding: string) => allowedEngineWarnings.some((pattern) => pattern.test(finding.replace(/^warning: /, "").replace(/ \(urn:.*\)$/, "")));
  return [...new Set(findings)].filter((finding) => !allowed(finding));
}

export interface StackWorkspace {
  readonly dir: string;
  readonly stack: string;
  /** Runs `pulumi <args> --stack <stack>` in the workspace, with an event log. */
  run(args: string[], options?: { timeoutSeconds?: number }): EngineRun;
  /** Sets a config key as a secret (encrypted with the workspace's passphrase). */
  setSecret(key: string, value: string): void;
  /** The stack's outputs, as `pulumi stack output --json` prints them (secrets as "[secret]"). */
  outputs(): Record<string, unknown>;
  remove(): void;
}

/**
 * A throwaway Pulumi workspace for one stack: a file backend, a random passphrase, its own Helm
 * homes, and (for the offline build) its own PULUMI_HOME; nothing outside the temp dir is written.
 * Its Pulumi.yaml is the project's own with `main` pointing at a link to the repository; its stack file is
 * generated from a committed one by `stackFile`.
 */
export function createWorkspace(engine: Engine, stack: string, stackFile: Record<string, unknown>): StackWorkspace {
  const dir = mkdtempSync(join(tmpdir(), `llm-platform-engine-${stack}-`));
  const project = parse(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  // The engine accepts only a `main` inside the project folder, and runs the program (and the providers)
  // from it, so that the serving chart's relative path resolves: a link to the repository.
  symlinkSync(repoRoot, join(dir, "program"));
  writeFileSync(join(dir, "Pulumi.yaml"), stringify({ ...project, main: "program" }));
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), stringify(stackFile));
  mkdirSync(join(dir, "state"));
  const node = dirname(process.execPath);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [engine.offlineBin, node, process.env.PATH].filter(Boolean).join(":"),
    PULUMI_BACKEND_URL: `file://${join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // --event-log (the stream the Automation API reads) exists only with the debug commands on.
    PULUMI_DEBUG_COMMANDS: "true",
    HELM_CACHE_HOME: join(dir, "helm", "cache"),
    HELM_CONFIG_HOME: join(dir, "helm", "config"),
    HELM_DATA_HOME: join(dir, "helm", "data"),
    ...(engine.offlineBin
      ? {
          PULUMI_HOME: join(dir, "pulumi-home"),
          // The offline build has every plugin the local/k3s stacks use on PATH; aws/gcp cannot be fetched.
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        }
      : {}),
  };
  delete env.PULUMI_ACCESS_TOKEN;
  delete env.PULUMI_CONFIG_PASSPHRASE_FILE;

  const pulumi = (args: string[], timeoutSeconds = 1800, input?: string) => {
    const started = Date.now();
    const result = spawnSync("pulumi", [...args, "--stack", stack, "--non-interactive", "--color", "never"], {
      cwd: dir,
      env,
      input,
      encoding: "utf8",
      timeout: timeoutSeconds * 1000,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: (Date.now() - started) / 1000 };
  };

  const init = pulumi(["stack", "init", "--secrets-provider", "passphrase"]);
  if (init.status !== 0) throw new Error(`pulumi stack init ${stack} failed:\n${init.stderr}`);

  return {
    dir,
    stack,
    run(args, options = {}) {
      const eventLog = join(dir, `events-${Date.now()}.jsonl`);
      const result = pulumi([...args, "--event-log", eventLog], options.timeoutSeconds);
      if (result.status !== 0) {
        // The workspace is removed after the test; keep the output of a failed command where it can be read.
        // A new file each time ("wx" refuses an existing one): never overwrite anything else in the temp folder.
        const kept = join(tmpdir(), `llm-platform-engine-${stack}-${args[0]}-${Date.now()}-${randomBytes(4).toString("hex")}-failed.log`);
        writeFileSync(kept, `$ pulumi ${args.join(" ")}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n`, { flag: "wx" });
        report(`pulumi ${args[0]} of ${stack} failed; its output is in ${kept}`);
      }
      const events = existsSync(eventLog)
        ? readFileSync(eventLog, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line) as EngineEvent)
        : [];
      const summary = events.find((event) => event.summaryEvent)?.summaryEvent;
      const planned = events.flatMap(({ resourcePreEvent: pre }) =>
        pre ? [{ op: pre.metadata.op, urn: pre.metadata.urn, type: pre.metadata.type, inputs: pre.metadata.new?.inputs ?? {} }] : [],
      );
      return {
        ...result,
        changes: summary?.resourceChanges ?? {},
        findings: findingsOf(events, result.stderr),
        policyPacks: Object.keys(summary?.PolicyPacks ?? {}),
        planned,
      };
    },
    setSecret(key, value) {
      // On stdin: a PEM key starts with "-----", which the CLI would parse as a flag, and stdin keeps the
      // value out of the process list.
      const set = pulumi(["config", "set", "--secret", `llm-platform:${key}`], 60, value);
      if (set.status !== 0) throw new Error(`pulumi config set --secret ${key} failed:\n${set.stderr}`);
    },
    outputs() {
      const shown = pulumi(["stack", "output", "--json"], 60);
      if (shown.status !== 0) throw new Error(`pulumi stack output failed:\n${shown.stderr}`);
      return JSON.parse(shown.stdout) as Record<string, unknown>;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The stack file for a workspace, generated from a committed Pulumi.<stack>.yaml (never written by
 * hand): without `environment:` (Pulumi ESC imports, which a file backend rejects) and without
 * encrypted values (they belong to another secrets provider; set them with setSecret), with `config`
 * keys (without the project prefix) replaced by `overrides`.
 */
export function stackFile(committedStack: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const document = parse(readFileSync(join(repoRoot, `Pulumi.${committedStack}.yaml`), "utf8")) as Record<string, unknown>;
  const config = (document.config ?? {}) as Record<string, unknown>;
  const isSecure = (value: unknown) => typeof value === "object" && value !== null && "secure" in value;
  const kept = Object.entries(config).filter(([, value]) => !isSecure(value));
  const overridden = Object.entries(overrides).map(([key, value]) => [`llm-platform:${key}`, value]);
  const generated: Record<string, unknown> = { ...document, config: Object.fromEntries([...kept, ...overridden]) };
  for (const key of ["environment", "encryptionsalt", "secretsprovider", "encryptedkey"]) delete generated[key];
  return generated;
}

/** Prints a measurement (counts, timings) of the real checks; the CI log keeps it. */
export const report = (line: string): void => void process.stderr.write(`real-checks: ${line}\n`);
