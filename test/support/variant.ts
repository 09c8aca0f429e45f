import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { SynthResult } from "../../scripts/lib/synthesize";
import { repoRoot, synthStack } from "./synth";

type StackDocument = { config: Record<string, unknown> };

/**
 * Synthesizes a committed stack file after `mutate` edits its parsed config (keys without the
 * project prefix), as a user editing Pulumi.<stack>.yaml would. The committed file is never touched.
 */
export async function synthVariant(stack: string, mutate: (config: Record<string, unknown>) => void): Promise<SynthResult> {
  const document = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as StackDocument;
  const config = Object.fromEntries(Object.entries(document.config).map(([key, value]) => [key.replace(/^llm-platform:/, ""), value]));
  mutate(config);
  document.config = Object.fromEntries(Object.entries(config).map(([key, value]) => [`llm-platform:${key}`, value]));
  const file = join(mkdtempSync(join(tmpdir(), "variant-")), `Pulumi.${stack}.yaml`);
  writeFileSync(file, stringify(document));
  return synthStack(stack, file);
}

const nginxVariants = new Map<string, Promise<SynthResult>>();

/**
 * A committed stack switched to the ingress-nginx front door, which stays a supported choice;
 * synthesized once per worker, since several test files check it.
 */
export function synthWithIngressNginx(stack: string): Promise<SynthResult> {
  const cached = nginxVariants.get(stack);
  if (cached) return cached;
  const result = synthVariant(stack, (config) => {
    const addons = (config.addons ?? {}) as { ingress?: Record<string, unknown> };
    addons.ingress = { ...addons.ingress, implementation: "ingress-nginx" };
    config.addons = addons;
  });
  nginxVariants.set(stack, result);
  return result;
}
