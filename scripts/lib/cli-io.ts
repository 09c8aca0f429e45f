/**
 * Where a command's lines go. The scripts print to the console; the tests run the same `main` in their
 * own process and keep the lines, which spares them a Node start and an SDK import per command.
 */
export interface CliIo {
  /** A line of the command's result (stdout). */
  out(line: string): void;
  /** A line of an error, a usage or progress (stderr). */
  err(line: string): void;
}

export const consoleIo: CliIo = { out: (line) => console.log(line), err: (line) => console.error(line) };

/** A CliIo that keeps the lines, for tests: `stdout` and `stderr` read as the console would show them. */
export function capturedIo(): CliIo & { readonly stdout: string; readonly stderr: string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (line) => out.push(`${line}\n`),
    err: (line) => err.push(`${line}\n`),
    get stdout() {
      return out.join("");
    },
    get stderr() {
      return err.join("");
    },
  };
}
