import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { SynthResult } from "../../scripts/lib/synthesize";
import { repoRoot, synthStack } from "./synth";

type ConfigMap = Record<string, unknown>;

/**
 * Synthesizes a variant of a committed stack: its parsed Pulumi.<stack>.yaml, changed by `mutate`
 * (which receives the `config:` map), written to a temporary file.
 */
export async function synthVariant(stack: string, mutate: (config: ConfigMap) => void): Promise<SynthResult> {
  const document = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { config: ConfigMap };
  mutate(document.config);
  const path = join(mkdtempSync(join(tmpdir(), "llm-variant-")), `Pulumi.${stack}.yaml`);
  writeFileSync(path, stringify(document));
  return synthStack(stack, path);
}
