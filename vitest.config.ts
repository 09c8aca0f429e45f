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
    // One worker per core runs many files: @pulumi/aws and @pulumi/gcp load once per worker, not once per file.
    isolate: false,
    // Synthesizes every committed stack once, for all test files (test/support/synth-cache.ts).
    globalSetup: ["test/support/synth-cache.ts"],
  },
});
