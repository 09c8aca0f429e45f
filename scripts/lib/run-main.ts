/**
 * Runs a command-line script's `main`: exits with the code it returns, or prints a thrown error's
 * message (never its stack trace: the messages are written for the user) and exits 1.
 */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
