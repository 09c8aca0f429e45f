import { spawn } from "node:child_process";

/**
 * Runs npm scripts side by side and fails if any of them fails: `tsx scripts/run-parallel.ts unit check`.
 * The unit tests leave part of the machine idle (their slowest files run alone at the end), and the type
 * check with the type-aware lint (one TypeScript program, on one core) fills it, so together they finish
 * in about the time of the unit tests alone. The first script's output streams as it runs; each
 * other script's output is printed whole when it ends, so no two logs interleave line by line.
 */
function runScript(script: string, stream: boolean): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", script], { stdio: ["ignore", stream ? "inherit" : "pipe", stream ? "inherit" : "pipe"], shell: process.platform === "win32" });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    child.on("close", (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`> ${script}: ${code === 0 ? "ok" : `failed (exit ${code})`} in ${seconds} s\n${output}`);
      resolve(code ?? 1);
    });
  });
}

async function main(): Promise<void> {
  const scripts = process.argv.slice(2);
  if (scripts.length === 0) {
    console.error("usage: tsx scripts/run-parallel.ts SCRIPT [SCRIPT...]  (npm script names; the first one's output streams)");
    process.exit(2);
  }
  const codes = await Promise.all(scripts.map((script, index) => runScript(script, index === 0)));
  process.exit(codes.some((code) => code !== 0) ? 1 : 0);
}

void main();
