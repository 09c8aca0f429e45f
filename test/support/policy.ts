import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import type { SynthResource } from "../../scripts/lib/synthesize";

/** What a policy concluded about one resource. */
export type Verdict = { applicable: false; reason: string } | { applicable: true; violations: string[] };

export interface FakeResource {
  readonly type: string;
  readonly name?: string;
  readonly inputs: Record<string, unknown>;
  readonly protect?: boolean;
  /** URN of the parent resource, as the engine passes it in opts.parent. */
  readonly parent?: string | null;
  /** @default "dev" */
  readonly stack?: string;
}

class NotApplicable extends Error {}

/** The args the policy server would build for a resource (policy/server.js), without the server. */
function fakeArgs(resource: FakeResource): ResourceValidationArgs {
  const name = resource.name ?? "test-resource";
  return {
    type: resource.type,
    props: resource.inputs,
    urn: `urn:pulumi:${resource.stack ?? "dev"}::llm-platform::${resource.type}::${name}`,
    name,
    opts: {
      protect: resource.protect ?? false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
      ...(resource.parent ? { parent: resource.parent } : {}),
    },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason ?? "");
    },
  };
}

export async function runPolicy(policy: ResourceValidationPolicy, resource: FakeResource): Promise<Verdict> {
  const validations = [policy.validateResource ?? []].flat();
  const violations: string[] = [];
  try {
    for (const validate of validations) await validate(fakeArgs(resource), (message) => violations.push(message));
  } catch (error) {
    if (error instanceof NotApplicable) return { applicable: false, reason: error.message };
    throw error;
  }
  return { applicable: true, violations };
}

/** A synthesized resource as the pack would see it: type, inputs, protect and parent. */
export const fromSynth = (stack: string, resource: SynthResource): FakeResource => ({
  type: resource.type,
  name: resource.name,
  inputs: resource.inputs,
  protect: resource.protect,
  parent: resource.parent,
  stack,
});
