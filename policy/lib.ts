import type { ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";

/** The stack name from a URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackOf(urn: string): string {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

/**
 * Stacks the prod-only rules apply to. The pack sees resources, not the stack config, so it keys on
 * the stack name; a new production stack must be added here (reviewed like any exception).
 */
export const prodStacks: readonly string[] = ["prod"];

export const isProd = (args: Pick<ResourceValidationArgs, "urn">): boolean => prodStacks.includes(stackOf(args.urn));

/**
 * The one Gateway routes may attach to, and its plain-HTTP listener (redirects and ACME challenges
 * only). The program names them in stacks/ingress.ts (gatewayConventions) and
 * components/ingress/gateway-manifests.ts (httpListenerName); a test checks that they agree.
 */
export const platformGateway = { namespace: "envoy-gateway-system", name: "llm-platform", httpListener: "http" } as const;

/** The type of the resource's parent, from its parent URN (types are joined with `$`). */
export function parentType(parentUrn: string | undefined): string | undefined {
  if (!parentUrn) return undefined;
  const parts = parentUrn.split("::");
  const chain = parts[parts.length - 2] ?? "";
  return chain.split("$").pop();
}

/**
 * A validation for one resource type: the props are typed with the provider SDK's own Args
 * interface, so a misspelt property fails `tsc` instead of silently never matching.
 */
export function forType<TArgs>(
  type: string,
  check: (props: Unwrap<TArgs>, args: ResourceValidationArgs, report: (message: string) => void) => void,
): ResourceValidation {
  return (args, report) => {
    if (args.type !== type) args.notApplicable(`only applies to ${type}`);
    check(args.props as Unwrap<TArgs>, args, report);
  };
}

/** Runs the first validation whose type matches; marks the policy not applicable otherwise. */
export function forTypes(validations: Record<string, ResourceValidation>): ResourceValidation {
  return (args, report) => {
    const validation = validations[args.type];
    if (!validation) return args.notApplicable(`only applies to ${Object.keys(validations).join(", ")}`);
    return validation(args, report);
  };
}

/** Exact semver (an optional leading `v`, as cert-manager's chart versions have); no ranges. */
export const exactSemver = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * An image reference's tag, or undefined when it has none. A digest (`@sha256:`) pins the image
 * whatever the tag says, so it counts as pinned ("digest").
 */
export function imageTag(image: string): string | undefined {
  if (image.includes("@sha256:")) return "digest";
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.indexOf(":");
  return colon === -1 ? undefined : lastSegment.slice(colon + 1);
}

/** Why an image reference is not pinned, or undefined when it is. */
export function unpinnedImage(image: string): string | undefined {
  const tag = imageTag(image);
  if (tag === undefined) return `image "${image}" has no tag, which means latest`;
  if (tag === "latest") return `image "${image}" uses the latest tag`;
  return undefined;
}
