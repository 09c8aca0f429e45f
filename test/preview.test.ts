import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { SynthResult } from "../scripts/lib/synthesize";
import { repoRoot, synthStack } from "./support/synth";

/**
 * `pulumi preview` of a brand-new EKS stack: the cluster does not exist, so its endpoint and CA, and with
 * them the kubeconfig, are unknown. pulumi-kubernetes previews a resource whose provider config is
 * unknown without dialing a cluster (#1794, fixed for helm.v3.Release), but fails on a kubeconfig it
 * cannot parse or a cluster it cannot reach (#3027 for helm.v4.Chart, #2236 for a known but unusable
 * kubeconfig). These tests run the real program in preview mode under mocks that compute nothing.
 */

const kubernetesObjects = (result: SynthResult) =>
  result.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:")).map((r) => `${r.type}::${r.name}`).sort();

// Remote components that render in the provider and so need a usable kubeconfig at preview (#3027).
const needsClusterAtPreview = /^kubernetes:(helm\.sh\/v4:Chart|yaml\/v2:ConfigGroup|yaml\/v2:ConfigFile|kustomize\/v2:Directory)$/;

describe.each(["dev", "prod"])("preview of a brand-new %s stack", (stack) => {
  let update: SynthResult;
  let preview: SynthResult;
  beforeAll(async () => {
    update = await synthStack(stack);
    preview = await synthStack(stack, join(repoRoot, `Pulumi.${stack}.yaml`), { preview: true });
  });

  it("runs without throwing, with the cluster's endpoint and so the kubeconfig unknown", () => {
    const [provider] = preview.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    expect(provider!.inputs.kubeconfig).toBe("[unknown]");
    expect(preview.outputs.kubeconfig).toBe("[unknown]");
    expect(update.outputs.kubeconfig).toBe("[secret]");
  });

  it("registers every Kubernetes resource an update would, each on the cluster's provider", () => {
    expect(kubernetesObjects(preview)).toEqual(kubernetesObjects(update));
    expect(kubernetesObjects(preview).length).toBeGreaterThan(0);
    const [provider] = preview.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    for (const resource of preview.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
      expect(resource.provider, resource.urn).toBe(provider!.urn);
    }
  });

  it("uses no Kubernetes type that must reach the cluster to preview", () => {
    expect(preview.resources.filter((r) => needsClusterAtPreview.test(r.type))).toEqual([]);
  });
});
