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
