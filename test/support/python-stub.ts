import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Runs a Python script against a stub HTTP server (MLflow, or an OpenAI-compatible model); returns its
 * exit code, the calls it made and its scratch folder. In `env`, "STUB" inside a value becomes the
 * server's URL and the value "OUTDIR" the scratch folder, which also replaces /tmp/ in the script.
 */
export async function runWithStub(source: string, env: Record<string, string>, answer: (path: string, body: Values) => [number, unknown]) {
  const calls: { path: string; body: Values }[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const call = { path: request.url ?? "", body: body ? (JSON.parse(body) as Values) : {} };
      calls.push(call);
      const [status, reply] = answer(call.path, call.body);
      response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), "lifecycle-"));
  try {
    const code = await new Promise<number>((resolve) => {
      const child = spawn("python3", ["-c", source.replaceAll("/tmp/", `${dir}/`)], {
        env: { PATH: process.env.PATH ?? "", ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, (v === "OUTDIR" ? dir : v.replace("STUB", url))])) },
        stdio: ["ignore", "ignore", "ignore"],
      });
      child.on("exit", (status) => resolve(status ?? 1));
    });
    return { code, calls, dir };
  } finally {
    server.close();
  }
}
