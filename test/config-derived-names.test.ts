import { describe, expect, it } from "vitest";
import { eksSystemPoolAmiType } from "../components/cloud-catalog";
import { autoNameSuffixLength, derivedNames, namePrefixSuffixLength, nameLimits } from "../stacks/config/derived-names";
import { secretsFor, validateStack } from "./support/config";
import { ofType, stackNames, synthStack } from "./support/synth";

/**
 * The config rules predict the names the program derives from GPU pool names and the stack name
 * (stacks/config/derived-names.ts) and reject any over its API's limit. These tests hold the
 * prediction to what the program really registers, so that a renamed component cannot slip past.
 */
describe.each(stackNames())("stack %s: derived names", (stack) => {
  it("every name the rules predict is registered, and every pool-derived name registered is predicted, within its API's limit", async () => {
    const result = await synthStack(stack);
    const validated = validateStack(stack, [], secretsFor(stack));
    if (!validated.ok) throw new Error(validated.errors.join("\n"));
    const all = derivedNames(validated.config, stack);
    const predicted = all.filter((derived) => derived.what !== "IAM role").map((derived) => derived.name).sort();
    const predictedRoles = all.filter((derived) => derived.what === "IAM role").map((derived) => derived.name).sort();
    const poolNames = new Set(predicted.map((name) => name.replace(/-x{7,}$/, "").split("-").pop()));
    const suffix = `-${"x".repeat(autoNameSuffixLength - 1)}`;
    const registered = [
      ...ofType(result, "kubernetes:helm.sh/v3:Release").map((release) => ({ name: String(release.inputs.name), limit: nameLimits.helmRelease })),
      ...ofType(result, "gcp:container/nodePool:NodePool").map((pool) => ({ name: `${pool.name}${suffix}`, limit: nameLimits.gkeNodePool })),
      // Create-before-delete node groups have a name prefix; the provider appends its generated characters.
      ...ofType(result, "aws:eks/nodeGroup:NodeGroup").map((group) => ({
        name: `${String(group.inputs.nodeGroupNamePrefix)}${"x".repeat(namePrefixSuffixLength)}`,
        limit: nameLimits.eksNodeGroup,
      })),
    ];
    for (const { name, limit } of registered) expect(name.length, name).toBeLessThanOrEqual(limit);
    // Each model's IRSA role (and its weights sync's) is predicted under the name the program gives it.
    const roles = ofType(result, "aws:iam/role:Role").map((role) => `${role.name}${suffix}`);
    expect(roles.filter((role) => /-llm-[a-z0-9-]+-(sync-)?identity-role-x+$/.test(role)).sort()).toEqual(predictedRoles);
    const gpuDerived = registered
      .map(({ name }) => name)
      .filter((name) => /-(nvidia|dcgm|gpu)-/.test(name) && [...poolNames].some((pool) => name.replace(/-x{7,}$/, "").endsWith(`-${pool}`)))
      .sort();
    expect(gpuDerived).toEqual(predicted);
  });
});

describe("the EKS system node group", () => {
  it("runs the AMI type whose architecture the config checks the system instance type against", async () => {
    const result = await synthStack("dev");
    const system = ofType(result, "aws:eks/nodeGroup:NodeGroup").find((group) => group.name.endsWith("-system"));
    expect(system?.inputs.amiType).toBe(eksSystemPoolAmiType);
  });
});
