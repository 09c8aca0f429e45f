/**
 * npm run synth -- --stack <name> [--out <dir>] [--config-file <path>] [--preview]
 * Runs the real program under Pulumi's mocks: no CLI, no credentials, no network. `--preview` runs it
 * as the preview of a brand-new stack, where everything a provider computes is unknown, and so is
 * every output of a Kubernetes object (its cluster does not exist yet). The command is
 * scripts/lib/synth-cli.ts.
 */
import { runMain } from "./lib/run-main";
import { synthMain } from "./lib/synth-cli";

runMain(() => synthMain(process.argv.slice(2)));
