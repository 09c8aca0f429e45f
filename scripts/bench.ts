/**
 * npm run bench [-- --runs N]: synthesizes every stack N times, each in a fresh process as a user
 * would run it, and reports the median wall time and peak memory per stack. Not a test: it prints.
 * The command is scripts/lib/bench-cli.ts.
 */
import { benchMain } from "./lib/bench-cli";

process.exit(benchMain(process.argv.slice(2)));
