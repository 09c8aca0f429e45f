import { beforeAll, describe, expect, it } from "vitest";
import { secretPlaceholder } from "../scripts/lib/stack-file";
import type { SynthResult } from "../scripts/lib/synthesize";
import { secretKeys } from "../stacks/config/schema";
import { stackNames, synthStack } from "./support/synth";

const stacks = stackNames();

it("covers the dev, prod and local stack files", () => {
  expect(stacks).toEqual(expect.arrayContaining(["dev", "local", "prod"]));
});

describe.each(stacks)("stack %s", (stack) => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthStack(stack);
  });

  it("sends every Kubernetes resource through the cluster's explicit provider", () => {
    const providers = result.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => r.urn);
    expect(providers).toHaveLength(1);
    const kubernetes = result.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    for (const resource of kubernetes) expect(resource.provider, resource.urn).toBe(providers[0]);
  });

  it("gives every custom resource an explicit provider, since default providers are disabled", () => {
    for (const resource of result.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))) {
      expect(resource.provider, resource.urn).toMatch(/\$pulumi:providers:|::pulumi:providers:/);
    }
  });

  it("never shows a secret in plaintext in resources or outputs", () => {
    const text = JSON.stringify([result.resources, result.outputs]);
    for (const key of secretKeys) expect(text).not.toContain(secretPlaceholder(key));
    expect(text).not.toMatch(/mock-password-|mockbcrypthash/);
    expect(result.outputs.kubeconfig).toBe("[secret]");
  });

  it("lets only the namespaces of node agents (logs, metrics, GPU plugin) run privileged under Pod Security", () => {
    const privileged = result.resources
      .filter((r) => r.type === "kubernetes:core/v1:Namespace")
      .map((r) => r.inputs.metadata as { name: string; labels?: Record<string, string> })
      .filter((metadata) => metadata.labels?.["pod-security.kubernetes.io/enforce"] === "privileged")
      .map((metadata) => metadata.name);
    const expected = ["monitoring", "logging", "nvidia-device-plugin"].filter((namespace) =>
      result.resources.some((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as { name: string }).name === namespace),
    );
    expect(privileged.sort()).toEqual(expected.sort());
  });

  it("names every child after its parent component", () => {
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    for (const resource of result.resources) {
      const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
      if (parent) expect(resource.name.startsWith(parent.name), `${resource.name} under ${parent.name}`).toBe(true);
    }
  });
});
