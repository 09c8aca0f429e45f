import { format } from "node:util";
import { vi } from "vitest";
import type { CliIo } from "../../scripts/lib/cli-io";
import { exitCodeOf } from "../../scripts/lib/run-main";

export interface CommandRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A command's `main` (scripts/lib/*-cli.ts) run in this process as its script runs it (exitCodeOf):
 * its exit code and what a terminal would show, the command's lines and anything the program prints
 * through the console (console.log and info on stdout, warn and error on stderr).
 */
export async function runInProcess(main: (io: CliIo) => Promise<number> | number): Promise<CommandRun> {
  const printed = { stdout: [] as string[], stderr: [] as string[] };
  const io: CliIo = { out: (line) => printed.stdout.push(`${line}\n`), err: (line) => printed.stderr.push(`${line}\n`) };
  const spies = (["log", "info", "debug", "warn", "error"] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...values: unknown[]) => {
      printed[method === "warn" || method === "error" ? "stderr" : "stdout"].push(`${format(...values)}\n`);
    }),
  );
  try {
    const status = await exitCodeOf(async () => main(io), io);
    return { status, stdout: printed.stdout.join(""), stderr: printed.stderr.join("") };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
