import { inspect } from "node:util";
import { consoleIo, type CliIo } from "./cli-io";

/**
 * A command's exit code: the one `main` returns, or 1 when it throws, after printing the error's
 * message (never its stack trace: the messages are written for the user).
 */
export async function exitCodeOf(main: () => Promise<number>, io: CliIo = consoleIo): Promise<number> {
  try {
    return await main();
  } catch (error) {
    io.err(error instanceof Error ? error.message : inspect(error));
    return 1;
  }
}

/** Runs a command-line script's `main` and exits with its code (exitCodeOf). */
export function runMain(main: () => Promise<number>): void {
  void exitCodeOf(main).then((code) => process.exit(code));
}
