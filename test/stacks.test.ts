import { beforeAll, describe, expect, it } from "vitest";
import { secretPlaceholder } from "../scripts/lib/stack-file";
import type { SynthResult } from "../scripts/lib/synthesize";
import { secretKeys } from "../stacks/config/schema";
import { charts } from "../components/versions";
import { unknownValueKeys } from "./support/chart-keys";
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

  it("installs remote charts only at a pinned version, with values keys the pinned chart has", () => {
    const pins = Object.values(charts);
    for (const release of result.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release")) {
      const chart = String(release.inputs.chart);
      if (chart.startsWith("./")) continue; // the project's own chart; its values.schema.json rejects unknown keys
      const pin = pins.find((candidate) => candidate.chart === chart || `${candidate.repository}/${candidate.chart}` === chart);
      expect(pin, `${release.name}: ${chart} is not pinned in components/versions.ts`).toBeDefined();
      expect(release.inputs.version).toBe(pin!.version);
      // An OCI chart carries its registry in the chart reference; others name their repository.
      if (!chart.startsWith("oci://")) expect((release.inputs.repositoryOpts as { repo: string }).repo).toBe(pin!.repository);
      const values = release.inputs.values;
      // Argo CD's values carry the admin password's bcrypt hash, so synth shows them as "[secret]";
      // test/gitops.test.ts checks their keys on the pure builder instead.
      if (values === "[secret]") continue;
      if (pin!.chart === charts.prometheusOperatorCrds.chart) expect(values).toEqual({});
      else expect(unknownValueKeys(pin!, values as Record<string, unknown>), release.name).toEqual([]);
    }
  });

  it("names every child after its parent component", () => {
    const byUrn = new Map(result.resources.map((r) => [r.urn, r]));
    for (const resource of result.resources) {
      const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
      if (parent) expect(resource.name.startsWith(parent.name), `${resource.name} under ${parent.name}`).toBe(true);
    }
  });
});
