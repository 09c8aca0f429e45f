import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { policies } from "../policy/policies";
import { UNKNOWN, type SynthResult } from "../scripts/lib/synthesize";
import { dependsOnNames } from "./support/dependencies";
import { fromSynth, runPolicy, verdictsOnStack, type FakeResource } from "./support/policy";
import { byName, repoRoot, stackNames, synthStack } from "./support/synth";

/**
 * In a real `pulumi preview` of a new stack every output of every resource is unknown (the mocks'
 * preview mode, scripts/lib/mocks.ts). The policy server does not run a policy that reads an unknown
 * value: it reports an advisory "can't run policy ... during preview" instead, so a violation would
 * surface only at `up`, after the preview said yes. Every policy must decide on every resource of
 * every stack with what a preview knows.
 */
describe.each(stackNames())("policy pack in a preview of a new %s stack", (stack) => {
  let preview: SynthResult;
  beforeAll(async () => {
    preview = await synthStack(stack, join(repoRoot, `Pulumi.${stack}.yaml`), { preview: true });
  });

  it("sees values that only a preview does not know (so the check below has something to find)", () => {
    expect(JSON.stringify(preview.resources.map((r) => r.inputs))).toContain(JSON.stringify(UNKNOWN));
  });

  it.each(policies.map((policy) => [policy.name, policy] as const))("%s can check every resource, and passes", async (_name, policy) => {
    const problems: string[] = [];
    for (const { where, verdict } of await verdictsOnStack(policy, preview.resources.map((resource) => fromSynth(stack, resource, true)))) {
      if (verdict.applicable === "unknown") problems.push(`${where}: can't run during preview: ${verdict.reason}`);
      if (verdict.applicable === true) problems.push(...verdict.violations.map((v) => `${where}: ${v}`));
    }
    expect(problems).toEqual([]);
  });

  it("knows the log-retention Job's namespace, and still creates the Job after its Namespace", () => {
    const job = byName(preview, `llm-${stack}-log-retention-job`);
    expect((job.inputs.metadata as { namespace: unknown }).namespace).toBe("logging");
    expect(dependsOnNames(preview, job)).toEqual([`llm-${stack}-elasticsearch-ns`]);
  });
});

describe("workload policies with values unknown during preview", () => {
  const unknownNamespace = { name: "job", namespace: UNKNOWN };
  const pod = (spec: Record<string, unknown>) => ({ spec: { template: { spec } } });
  const container = { name: "c", image: "docker.io/curlimages/curl:8.17.0", resources: { requests: { cpu: "1m", memory: "1Mi" }, limits: { memory: "1Mi" } } };
  const verdict = (name: string, resource: FakeResource) => runPolicy(policies.find((p) => p.name === name)!, { ...resource, preview: true });

  it("decide on a workload whose namespace is unknown when they do not need it", async () => {
    const job = { type: "kubernetes:batch/v1:Job", inputs: { metadata: unknownNamespace, ...pod({ containers: [container] }) } };
    for (const name of ["workload-resources", "no-latest-images", "no-privileged-or-host-access"]) {
      expect(await verdict(name, job), name).toEqual({ applicable: true, violations: [] });
    }
    const unpinned = { ...job, inputs: { ...job.inputs, ...pod({ containers: [{ ...container, image: "curl" }] }) } };
    expect(await verdict("no-latest-images", unpinned)).toMatchObject({ applicable: true, violations: [expect.stringMatching(/no tag/)] });
  });

  it("leave a host-access exception that depends on an unknown namespace to `up`, never passing it early", async () => {
    const collector = pod({ containers: [container], volumes: [{ name: "logs", hostPath: { path: "/var/log" } }] });
    const daemonSet = (namespace: string) => ({
      type: "kubernetes:apps/v1:DaemonSet",
      inputs: { metadata: { name: "fluent-bit", namespace }, ...collector },
    });
    expect(await verdict("no-privileged-or-host-access", daemonSet(UNKNOWN))).toMatchObject({ applicable: "unknown" });
    expect(await verdict("no-privileged-or-host-access", daemonSet("logging"))).toEqual({ applicable: true, violations: [] });
    expect(await verdict("no-privileged-or-host-access", daemonSet("default"))).toMatchObject({ violations: [expect.stringMatching(/hostPath \/var\/log/)] });
  });
});
