import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs a host script the way an SSH server does (`<shell> -c <script>`), in a temp dir whose PATH
 * starts with stub commands. The stubs record their argv; `sudo` redirects every file the script
 * writes as root into `<dir>/fs/`, runs the k3s installer (itself a stub that records its
 * environment) and swallows everything else, so nothing touches the real machine.
 */
export interface SandboxOptions {
  /** What `nvidia-smi -L` lists; undefined means nvidia-smi is not installed. */
  readonly gpus?: number;
  readonly nvidiaRuntime?: boolean;
}

export interface SandboxRun {
  readonly dir: string;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** argv of every stub call, per command name. */
  readonly calls: Record<string, string[][]>;
  /** Content of a file the script wrote as root, by its absolute path on the host. */
  file(path: string): string | undefined;
  /** The INSTALL_K3S_* variables the installer ran with. */
  readonly installerEnv: Record<string, string> | undefined;
}

// Each stub appends its name and NUL-separated argv, then a record separator.
const record = (name: string) => `{ printf '%s\\0' ${name} "$@"; printf '\\036'; } >> "$SANDBOX/calls"`;

const stubs = (options: SandboxOptions): Record<string, string> => ({
  id: `${record("id")}\necho 1000`,
  hostname: `${record("hostname")}\necho GPU-Host-7`,
  sudo: [
    record("sudo"),
    '[ "$1" = -n ] && shift',
    // put_file: run the script's own program, with the target moved under fs/.
    'if [ "$1" = sh ] && [ "$2" = -c ] && [ "$4" = put_file ]; then exec sh -c "$3" "$4" "$5" "$SANDBOX/fs$6"; fi',
    'if [ "$1" = env ]; then exec "$@"; fi',
    "exit 0",
  ].join("\n"),
  curl: [
    record("curl"),
    'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then out=$2; fi; shift; done',
    `printf '%s\\n' 'env | grep "^INSTALL_K3S_" | sort > "$SANDBOX/installer.env"' > "$out"`,
  ].join("\n"),
  ...(options.gpus === undefined
    ? {}
    : { "nvidia-smi": `${record("nvidia-smi")}\ni=0; while [ $i -lt ${options.gpus} ]; do echo "GPU $i: NVIDIA Test (UUID: GPU-$i)"; i=$((i+1)); done` }),
  ...(options.nvidiaRuntime ? { "nvidia-container-runtime": `${record("nvidia-container-runtime")}` } : {}),
});

function readCalls(dir: string): Record<string, string[][]> {
  const path = join(dir, "calls");
  const calls: Record<string, string[][]> = {};
  if (!existsSync(path)) return calls;
  for (const entry of readFileSync(path, "utf8").split("\x1e").filter(Boolean)) {
    const [name, ...argv] = entry.split("\0").slice(0, -1);
    (calls[name!] ??= []).push(argv);
  }
  return calls;
}

export function runInSandbox(script: string, stdin: string, options: SandboxOptions = {}, shell = "bash"): SandboxRun {
  const dir = mkdtempSync(join(tmpdir(), "k3s-sandbox-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  mkdirSync(join(dir, "tmp"));
  for (const [name, body] of Object.entries(stubs(options))) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const run = spawnSync(shell, ["-c", script], {
    cwd: dir,
    input: stdin,
    encoding: "utf8",
    env: { PATH: `${bin}:/usr/bin:/bin`, SANDBOX: dir, HOME: dir, TMPDIR: join(dir, "tmp") },
  });
  const envFile = join(dir, "installer.env");
  return {
    dir,
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    calls: readCalls(dir),
    file: (path) => (existsSync(join(dir, "fs", path)) ? readFileSync(join(dir, "fs", path), "utf8") : undefined),
    installerEnv: existsSync(envFile)
      ? Object.fromEntries(readFileSync(envFile, "utf8").trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]))
      : undefined,
  };
}

/** Files anywhere in the sandbox whose name starts with "canary": proof that a config value ran. */
export function canaries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((path) => /(^|\/)canary/.test(path));
}

/** `<shell> -n`: parses the script without running any of it. */
export function syntaxCheck(script: string, shell: string): { status: number | null; stderr: string } {
  const run = spawnSync(shell, ["-n", "-c", script], { encoding: "utf8" });
  return { status: run.status, stderr: run.stderr };
}
