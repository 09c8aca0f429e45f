import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { basename, join } from "node:path";
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
 * Serves the charts folder as a Helm repository on loopback (Helm has no file:// repositories).
 * Only files directly in the folder are served. The server closes itself after the daemon lifetime.
 */
export function startChartRepo(dir = chartsDir()): Promise<ChartRepo> {
  if (!existsSync(join(dir, "index.yaml"))) throw new Error(`${dir}/index.yaml not found: not a Helm repository`);
  const server = createServer((req, res) => {
    const file = join(dir, basename(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
    if ((req.method !== "GET" && req.method !== "HEAD") || !existsSync(file) || file === dir) {
      res.writeHead(404).end();
      return;
    }
    const body = readFileSync(file);
    const type = file.endsWith(".yaml") ? "application/yaml" : "application/gzip";
    res.writeHead(200, { "content-type": type, "content-length": body.length });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (!address || typeof address !== "object") return reject(new Error("chart repository: no address"));
      const lifetime = setTimeout(() => server.close(), daemonLifetimeSeconds * 1000);
      lifetime.unref();
      const stop = () =>
        new Promise<void>((done) => {
          clearTimeout(lifetime);
          server.closeAllConnections();
          server.close(() => done());
        });
      resolve({ url: `http://127.0.0.1:${address.port}`, stop });
    });
  });
}
