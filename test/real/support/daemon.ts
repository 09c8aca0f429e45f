import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

/**
 * Longest a daemon of the real checks may live, in seconds: each one runs under coreutils `timeout`,
 * so a test run that dies without calling stop() leaves nothing running for long.
 */
export const daemonLifetimeSeconds = Number(process.env.LLM_PLATFORM_REAL_TIMEOUT ?? 3600);

export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A synchronous last resort when the test process exits without stopping its daemons.
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released for the daemon to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts a long-running tool with its output in logFile; it dies on its own after daemonLifetimeSeconds. */
export function startDaemon(name: string, binary: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Daemon {
  const log = openSync(logFile, "a");
  const hasTimeout = existsSync("/usr/bin/timeout") || existsSync("/bin/timeout");
  const [command, commandArgs] = hasTimeout
    ? ["timeout", ["--kill-after=10", String(daemonLifetimeSeconds), binary, ...args]]
    : [binary, args];
  const child = spawn(command, commandArgs, { stdio: ["ignore", log, log], env });
  running.add(child);
  child.once("exit", () => running.delete(child));
  const tail = (lines = 30) =>
    existsSync(logFile) ? readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return { name, child, logFile, tail, stop };
}

/**
 * Polls `check` until it returns true; fails with the daemon's log when the daemon exits first or the
 * time runs out.
 */
export async function waitUntil(daemon: Daemon, what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      throw new Error(`${daemon.name} exited (${daemon.child.exitCode ?? daemon.child.signalCode}) before ${what}; its log ends:\n${daemon.tail()}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${daemon.name}: no ${what} after ${timeoutMs / 1000} s; its log ends:\n${daemon.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
