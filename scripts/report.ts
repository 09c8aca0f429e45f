/**
 * npm run report -- --stack <name> [--stack <name> ...] [--synth DIR] [--base PATH] [--json | --markdown]
 * Modeled deploy time, monthly cost and risks of a stack, from the offline synth: in-process, or from
 * `npm run synth -- --out DIR` folders (`--synth`, needed for more than one stack). `--base` compares
 * with another synth or report (the base branch in a pull request). The command is
 * scripts/lib/report-cli.ts.
 */
import { reportMain } from "./lib/report-cli";
import { runMain } from "./lib/run-main";

runMain(() => reportMain(process.argv.slice(2)));
