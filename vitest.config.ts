import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The real checks need built tools and minutes; they run with npm run test:real (vitest.real.config.ts).
    exclude: ["test/real/**", "**/node_modules/**"],
    // Each file synthesizes its stacks once in beforeAll; real helm runs can take a few seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // vitest's default is one worker fewer than the cores, which on a 2-core CI machine is a single worker
    // running every file in turn; most of a file's time is its own CPU or a child process's (helm,
    // promtool), so a worker per core finishes in about half the time.
    maxWorkers: availableParallelism(),
    // A larger young generation: synthesizing a stack allocates hundreds of MB of short-lived objects,
    // and with the default the workers spent about a tenth of their time in minor GCs.
    execArgv: ["--max-semi-space-size=64"],
    // One worker per core runs many files: @pulumi/aws and @pulumi/gcp load once per worker, not once per file.
    isolate: false,
    // A folder per run where the first worker to need a committed stack leaves its synthesis for the others (test/support/synth-cache.ts).
    globalSetup: ["test/support/synth-cache.ts"],
    // The Pulumi SDK's own stack captures skip vitest's source mapping (test/support/stack-traces.ts).
    setupFiles: ["test/support/stack-traces.ts"],
  },
});
