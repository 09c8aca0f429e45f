import { modelReleases } from "./canary";
import type { PlatformConfig } from "./schema";

type Segment = string | number;

/** The prefix of every resource name: stacks/platform.ts names the platform `llm-<stack>`. */
export const platformName = (stack: string) => `llm-${stack}`;

/** Pulumi's auto-naming appends '-' and 7 random characters to a resource's name (pulumi-gcp uses it for node pools). */
export const autoNameSuffixLength = 8;

/** A name prefix (`nodeGroupNamePrefix`) gets 26 generated characters from the AWS provider (terraform's PrefixedUniqueId). */
export const namePrefixSuffixLength = 26;

/** Limits of the APIs that take these names. */
export const nameLimits = {
  /** Helm stores a release in a Secret labelled with its name: at most 53 characters. */
  helmRelease: 53,
  /** GKE node pool names: at most 40 characters. */
  gkeNodePool: 40,
  /** EKS node group names: at most 63 characters. */
  eksNodeGroup: 63,
  /** IAM role names: at most 64 characters. */
  iamRole: 64,
} as const;

export interface DerivedName {
  /** Where the config part of the name comes from. */
  readonly path: Segment[];
  readonly what: "helm release" | "GKE node pool" | "EKS node group" | "IAM role";
  /** The name as the API receives it; `xxxxxxx` stands for Pulumi's random suffix. */
  readonly name: string;
  readonly limit: number;
}

/** GPU pool names and where each is set in the config. */
function gpuPoolNames(cluster: PlatformConfig["cluster"]): { name: string; path: Segment[] }[] {
  if (cluster.provider === "k3s" && cluster.mode === "provision") {
    const seen = new Map<string, Segment[]>();
    cluster.agents.forEach((agent, index) => {
      if (agent.gpu && agent.gpuPool && !seen.has(agent.gpuPool)) seen.set(agent.gpuPool, ["cluster", "agents", index, "gpuPool"]);
    });
    return [...seen].map(([name, path]) => ({ name, path }));
  }
  return cluster.gpuPools.map((pool, index) => ({ name: pool.name, path: ["cluster", "gpuPools", index, "name"] }));
}

/**
 * Names the program derives from config and the stack name, as the components build them: the
 * NVIDIA device plugin (`<platform>-nvidia-<pool>`, on EKS AL2023 pools and k3s) and DCGM exporter
 * (`<platform>-dcgm-<pool>`, with monitoring) releases per GPU pool, and the node pools and groups.
 */
export function derivedNames(config: PlatformConfig, stack: string): DerivedName[] {
  const prefix = platformName(stack);
  const { cluster } = config;
  const names: DerivedName[] = [];
  const pools = gpuPoolNames(cluster);
  for (const [index, pool] of pools.entries()) {
    const plugin =
      cluster.provider === "k3s" ? cluster.installDevicePlugin : cluster.provider === "eks" && cluster.gpuPools[index]!.amiType === "AL2023_x86_64_NVIDIA";
    if (plugin) names.push({ path: pool.path, what: "helm release", name: `${prefix}-nvidia-${pool.name}`, limit: nameLimits.helmRelease });
    if (config.addons.monitoring.enabled) names.push({ path: pool.path, what: "helm release", name: `${prefix}-dcgm-${pool.name}`, limit: nameLimits.helmRelease });
    if (cluster.provider === "gke") {
      names.push({ path: pool.path, what: "GKE node pool", name: `${prefix}-gpu-${pool.name}-${"x".repeat(autoNameSuffixLength - 1)}`, limit: nameLimits.gkeNodePool });
    }
    if (cluster.provider === "eks") {
      names.push({ path: pool.path, what: "EKS node group", name: `${prefix}-gpu-${pool.name}-${"x".repeat(namePrefixSuffixLength)}`, limit: nameLimits.eksNodeGroup });
    }
  }
  // Each serving release (a model's, and its canary's `<name>-<version>`): its Helm release, its IRSA
  // role, and its weights sync's when it reads the bucket (components/serving).
  config.models.forEach((model, index) => {
    for (const { release, canary } of modelReleases(model)) {
      const path: Segment[] = canary ? ["models", index, "canary", "version"] : ["models", index, "name"];
      if (canary) names.push({ path, what: "helm release", name: release.name, limit: nameLimits.helmRelease });
      if (cluster.provider !== "eks") continue;
      const random = "x".repeat(autoNameSuffixLength - 1);
      names.push({ path, what: "IAM role", name: `${prefix}-llm-${release.name}-identity-role-${random}`, limit: nameLimits.iamRole });
      if (release.weightsFrom === "bucket" && release.engine === "vllm") {
        names.push({ path, what: "IAM role", name: `${prefix}-llm-${release.name}-sync-identity-role-${random}`, limit: nameLimits.iamRole });
      }
    }
  });
  return names;
}

/** One message per derived name over its API's limit, naming the config key that shortens it. */
export function checkDerivedNames(config: PlatformConfig, stack: string): { path: Segment[]; message: string }[] {
  return derivedNames(config, stack)
    .filter((derived) => derived.name.length > derived.limit)
    .map((derived) => {
      const value = derived.path.reduce<unknown>((data, segment) => (data as Record<Segment, unknown>)[segment], config) as string;
      const room = value.length - (derived.name.length - derived.limit);
      return {
        path: derived.path,
        message: `makes the ${derived.what} name "${derived.name}" ${derived.name.length} characters long (stack "${stack}"), and the API allows ${derived.limit}: must be at most ${Math.max(room, 0)} characters here`,
      };
    });
}
