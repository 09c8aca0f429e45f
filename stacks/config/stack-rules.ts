import type { PlatformConfig } from "./schema";
import { didYouMean } from "./suggest";

/*
 * Rules that need more than the project's own keys: every namespace of the stack's config, and the
 * stack name, which becomes part of the names the program gives cloud and Kubernetes resources.
 */

/** Config namespaces other than the project's that a stack may set: the engine's and the providers'. */
export const providerNamespaces = ["pulumi", "aws", "gcp", "kubernetes", "random", "command"] as const;

/** Keys whose namespace is neither the project's nor a provider's, e.g. a misspelled `llm-platfrom:tls`. */
export function checkNamespaces(fullKeys: readonly string[], project: string): string[] {
  const known = [project, ...providerNamespaces];
  return fullKeys.flatMap((fullKey) => {
    const separator = fullKey.indexOf(":");
    const namespace = separator < 0 ? "" : fullKey.slice(0, separator);
    if ((known as string[]).includes(namespace)) return [];
    const key = fullKey.slice(separator + 1);
    const guess = didYouMean(namespace, known);
    const hint = guess ? `; did you mean "${guess}:${key}"?` : ".";
    return [`${fullKey}: unknown config namespace "${namespace}"${hint} Keys must start with ${project}: (this project) or a provider's namespace: ${providerNamespaces.map((n) => `${n}:`).join(", ")}`];
  });
}

/** What a stack name says about its environment, from its dash-separated words. */
export function environmentOfStackName(stack: string): "prod" | "non-prod" | undefined {
  // "prod2" and "eu-prod1" say prod as clearly as "prod" does: a trailing number is a counter.
  const words = stack.split("-").map((word) => word.replace(/\d+$/, ""));
  if (words.some((word) => ["prod", "production", "prd", "live"].includes(word))) return "prod";
  if (words.some((word) => ["dev", "development", "test", "lab", "local", "sandbox", "staging", "stage", "stg", "qa", "preview"].includes(word))) return "non-prod";
  return undefined;
}

/**
 * The environment switches every prod rule on or off, so it must agree with what the stack's name
 * says: a stack called prod with `environment: dev` would silently drop them.
 */
export function checkEnvironmentMatchesStack(stack: string, config: { environment: PlatformConfig["environment"]; allowEnvironmentNotMatchingStackName?: unknown }, project: string): string[] {
  const said = environmentOfStackName(stack);
  if (config.allowEnvironmentNotMatchingStackName || said === undefined) return [];
  if (said === "prod" && config.environment !== "prod") {
    return [`${project}:environment: got "${config.environment}"; stack "${stack}" is named as a prod stack, so allowed: "prod" (every prod rule depends on it). If this is deliberate, also set ${project}:allowEnvironmentNotMatchingStackName: true`];
  }
  if (said === "non-prod" && config.environment === "prod") {
    return [`${project}:environment: got "prod"; stack "${stack}" is named as a non-prod stack, so allowed: "dev", "staging" (or rename the stack). If this is deliberate, also set ${project}:allowEnvironmentNotMatchingStackName: true`];
  }
  return [];
}
