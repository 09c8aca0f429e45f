import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { prepareConfig, synthesize } from "../scripts/lib/synthesize";
import { readStackFile } from "../scripts/lib/stack-file";
import { describePlaceholder, findPlaceholders } from "../stacks/config/placeholders";
import { validateConfig } from "../stacks/config/validate";
import { repoRoot } from "./support/synth";

const placeholdersOf = (stack: string) => {
  // As synth does: secrets only the stack's owner sets get placeholders.
  const prepared = prepareConfig(readStackFile(join(repoRoot, `Pulumi.${stack}.yaml`)));
  if ("errors" in prepared) throw new Error(prepared.errors.join("\n"));
  const result = validateConfig(prepared.config.config, new Set(prepared.config.secretKeys));
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return findPlaceholders(result.config).map(describePlaceholder);
};

describe("example values of the committed stack files", () => {
  it.each([
    ["dev", ["domain", "cluster.publicAccessCidrs[0]"]],
    ["prod", ["domain", "tls.acmeEmail", "cluster.publicAccessCidrs[0]", "cluster.adminRoleArns[0]", "cluster.deployerRoleArn"]],
    ["gke-dev", ["domain", "cluster.projectNumber", "cluster.authorizedNetworks[0].cidr"]],
    ["k3s-lab", ["domain", ...[0, 1, 2].flatMap((i) => [`cluster.servers[${i}].address`, `cluster.servers[${i}].hostKey`]), ...[0, 1].flatMap((i) => [`cluster.agents[${i}].address`, `cluster.agents[${i}].hostKey`])]],
    ["local", []],
  ])("%s names each one, by key, with what to put there", (stack, keys) => {
    const found = placeholdersOf(stack);
    expect(found.map((line) => line.slice("llm-platform:".length, line.indexOf(": ")))).toEqual(keys);
    for (const line of found) expect(line).toMatch(/is an example value of the committed stack file; replace it with \S/);
  });
});

/** Runs the real program on the committed dev stack as the engine would: monitor address set, dry run or not. */
async function runAsEngine(preview: boolean) {
  const file = join(repoRoot, "Pulumi.dev.yaml");
  return synthesize("dev", readStackFile(file), async () => {
    vi.resetModules();
    process.env.PULUMI_NODEJS_MONITOR = "127.0.0.1:1";
    try {
      return await import("../index");
    } finally {
      delete process.env.PULUMI_NODEJS_MONITOR;
    }
  }, { preview });
}

describe("a real deployment of a committed stack file", () => {
  it("pulumi up stops before any resource, naming each example value", async () => {
    const result = await runAsEngine(false);
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.join("\n");
    expect(errors).toMatch(/llm-platform:cluster\.publicAccessCidrs\[0\]: 203\.0\.113\.0\/24 is an example value/);
    expect(errors).toMatch(/llm-platform:domain: dev\.llm\.example\.com is an example value/);
  });

  it("pulumi preview still runs (and warns), as offline synth does", async () => {
    expect((await runAsEngine(true)).ok).toBe(true);
  });
});
