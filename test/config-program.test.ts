import * as pulumi from "@pulumi/pulumi";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { createMocks } from "../scripts/lib/mocks";
import { readStackFile, repoRoot } from "../scripts/lib/stack-file";
import { secretsFor } from "./support/config";

/**
 * The real program (index.ts) under mocks, fed the whole config map of a committed stack file with one
 * mistake, as the engine hands it over (every namespace, scalars as strings). It must throw a
 * ConfigError before registering a single resource, the root stack included.
 */
async function runProgram(stack: string, edit: (config: Record<string, string>) => void, secrets: Record<string, string> = {}) {
  const file = readStackFile(join(repoRoot, `Pulumi.${stack}.yaml`));
  const config = { ...file.config };
  edit(config);
  for (const [key, value] of Object.entries(secrets)) config[`llm-platform:${key}`] = value;
  pulumi.runtime.setAllConfig(config, [...file.secretKeys, ...Object.keys(secrets).map((key) => `llm-platform:${key}`)]);
  const mocks = createMocks();
  const registered: string[] = [];
  const newResource = mocks.newResource.bind(mocks);
  mocks.newResource = (args) => {
    registered.push(`${args.type}::${args.name}`);
    return newResource(args);
  };
  await pulumi.runtime.setMocks(mocks, "llm-platform", stack, false);
  vi.resetModules();
  let error: unknown;
  try {
    await import("../index");
  } catch (thrown) {
    error = thrown;
  }
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return { error, registered };
}

const json = (config: Record<string, string>, key: string) => JSON.parse(config[`llm-platform:${key}`]!) as Record<string, unknown>;

describe("the program refuses bad config before registering any resource", () => {
  it.each([
    ["dev", "a misspelled project namespace, seen through the engine's full config map", (config: Record<string, string>) => {
      config["llm-platfrom:tls"] = JSON.stringify({ issuer: "letsencrypt" });
    }, /llm-platfrom:tls: unknown config namespace "llm-platfrom"; did you mean "llm-platform:tls"\?/],
    ["prod", "a prod stack whose environment says dev", (config: Record<string, string>) => {
      config["llm-platform:environment"] = "dev";
    }, /llm-platform:environment: got "dev"; stack "prod" is named as a prod stack/],
    ["k3s-lab", "credentials in the object-storage endpoint", (config: Record<string, string>) => {
      const cluster = json(config, "cluster");
      (cluster.objectStorage as Record<string, unknown>).endpoint = "https://minio:minio-s3cr3t@s3.lab.example.com";
      config["llm-platform:cluster"] = JSON.stringify(cluster);
    }, /llm-platform:cluster\.objectStorage\.endpoint: got "https:\/\/\*\*\*@s3\.lab\.example\.com"; credentials in the URL/],
    ["gke-dev", "a GPU pool name that makes the GKE node pool name too long", (config: Record<string, string>) => {
      const cluster = json(config, "cluster");
      (cluster.gpuPools as Record<string, unknown>[])[0]!.name = "l4-spot-serving-pool";
      config["llm-platform:cluster"] = JSON.stringify(cluster);
      config["llm-platform:models"] = config["llm-platform:models"]!.replace('"gpuPool":"l4"', '"gpuPool":"l4-spot-serving-pool"');
    }, /llm-platform:cluster\.gpuPools\[0\]\.name: .*GKE node pool name .* the API allows 40/],
  ])("%s: %s", async (stack, _what, edit, message) => {
    const { error, registered } = await runProgram(stack, edit, secretsFor(stack));
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toMatch(/^Invalid stack configuration \(\d+ problems?\):/);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("minio-s3cr3t");
    expect(registered).toEqual([]);
  });

  it("registers resources when the same config is valid (the count above can see them)", async () => {
    const { error, registered } = await runProgram("local", () => {}, secretsFor("local"));
    expect(error).toBeUndefined();
    expect(registered.length).toBeGreaterThan(10);
  });
});
