import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../../scripts/lib/stack-file";
import { daemonLifetimeSeconds } from "./daemon";

export interface ChartRepo {
  /** http://127.0.0.1:<port>: a Helm repository (index.yaml plus chart archives). */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The folder of pinned upstream chart archives: LLM_PLATFORM_CHARTS_DIR, else `../shared/charts` next
 * to the repository (or next to the folder holding it, for a git worktree one level further down).
 */
export function chartsDir(): string {
  const configured = process.env.LLM_PLATFORM_CHARTS_DIR;
  if (configured) return configured;
  const candidates = [join(repoRoot, "..", "shared", "charts"), join(repoRoot, "..", "..", "shared", "charts")];
  const found = candidates.find((dir) => existsSync(join(dir, "index.yaml")));
  if (!found) {
    throw new Error(
      `no Helm repository of the pinned charts found in ${candidates.join(" or ")}; ` +
        "set LLM_PLATFORM_CHARTS_DIR to a folder with index.yaml and the chart archives",
    );
  }
  return found;
}

/**
 * The server, run as its own node process: the checks call helm synchronously, which would block a
 * server in the test's own event loop. Serves only files directly in the folder, and exits after
 * `lifetime` seconds or when its parent goes away (stdin closes).
 */
const serverScript = `
const { createServer } = require("node:http");
const { existsSync, readFileSync, statSync } = require("node:fs");
const { basename, join } = require("node:path");
const [dir, lifetime] = process.argv.slice(1);
const server = createServer((req, res) => {
  const file = join(dir, basename(decodeURIComponent(new URL(req.url || "/", "http://x").pathname)));
  if ((req.method !== "GET" && req.method !== "HEAD") || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
  const body = readFileSync(file);
  res.writeHead(200, { "content-type": file.endsWith(".yaml") ? "application/yaml" : "application/gzip", "content-length": body.length });
  res.end(req.method === "HEAD" ? undefined : body);
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
setTimeout(() => process.exit(0), Number(lifetime) * 1000).unref();
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

/** Serves the charts folder as a Helm repository on loopback (Helm has no file:// repositories). */
export function startChartRepo(dir = chartsDir()): Promise<ChartRepo> {
  if (!existsSync(join(dir, "index.yaml"))) throw new Error(`${dir}/index.yaml not found: not a Helm repository`);
  const child = spawn(process.execPath, ["-e", serverScript, dir, String(daemonLifetimeSeconds)], { stdio: ["pipe", "pipe", "inherit"] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`chart repository server exited (${code}) before listening`)));
    child.stdout.once("data", (chunk: Buffer) => resolve({ url: `http://127.0.0.1:${Number(chunk.toString().trim())}`, stop }));
  });
}
