import { describe, expect, it } from "vitest";
import { didYouMean, keyPath } from "../stacks/config/validate";
import { errorsOf, validateStack, type Mutation } from "./support/config";

const kubeconfig = { kubeconfig: "apiVersion: v1" };
/** A valid k3s GPU pool, set into the local (k3s) stack to test k3s pool mistakes. */
const k3sPool = { name: "l4", nodeSelector: { "llm-platform.io/gpu-pool": "l4" }, gpusPerNode: 1, nodes: 2 };

describe("the committed stack files", () => {
  it.each(["dev", "prod", "local"])("%s is valid", (stack) => {
    expect(errorsOf(validateStack(stack, [], kubeconfig))).toEqual([]);
  });
});

describe("key paths", () => {
  it("render like the Pulumi config key plus a path", () => {
    expect(keyPath(["cluster", "gpuPools", 0, "maxSize"])).toBe("llm-platform:cluster.gpuPools[0].maxSize");
  });
  it("suggest the closest known key for a typo", () => {
    expect(didYouMean("gpuPool", ["gpuPools", "systemPool", "provider"])).toBe("gpuPools");
    expect(didYouMean("zzzzzz", ["gpuPools", "provider"])).toBeUndefined();
  });
});

// Each row: a stack, what a user got wrong, the key path the message must name, and words it must contain.
const mistakes: [string, string, Mutation[], string, RegExp][] = [
  ["dev", "misspelled top-level key", [{ set: ["clustr"], to: {} }], "llm-platform:clustr", /unknown key; did you mean "cluster"/],
  ["dev", "misspelled nested key", [{ set: ["cluster", "gpuPool"], to: [] }], "llm-platform:cluster.gpuPool", /did you mean "gpuPools"/],
  ["dev", "misspelled add-on", [{ set: ["addons", "argcd"], to: { enabled: true } }], "llm-platform:addons.argcd", /did you mean "argocd"/],
  ["dev", "unknown key in a model", [{ set: ["models", 0, "gpus"], to: 2 }], "llm-platform:models[0].gpus", /unknown key/],
  ["dev", "unknown cluster provider", [{ set: ["cluster", "provider"], to: "aks" }], "llm-platform:cluster.provider", /"eks", "gke", "k3s"/],
  ["dev", "unknown environment", [{ set: ["environment"], to: "qa" }], "llm-platform:environment", /allowed: "dev", "staging", "prod"/],
  ["dev", "missing environment", [{ remove: ["environment"] }], "llm-platform:environment", /got nothing/],
  ["local", "negative GPU node count", [{ set: ["cluster", "gpuPools"], to: [{ ...k3sPool, nodes: -1 }] }], "llm-platform:cluster.gpuPools[0].nodes", /got -1; must be >= 1/],
  ["dev", "fractional replica count", [{ set: ["models", 0, "maxReplicas"], to: 1.5 }], "llm-platform:models[0].maxReplicas", /got 1.5/],
  ["dev", "string where a number goes", [{ set: ["addons", "monitoring", "retentionDays"], to: "15d" }], "llm-platform:addons.monitoring.retentionDays", /expected number/],
  ["dev", "GPU count that is not a power of two", [{ set: ["models", 0, "gpuCount"], to: 3 }], "llm-platform:models[0].gpuCount", /got 3/],
  ["dev", "model on a pool that does not exist", [{ set: ["models", 0, "gpuPool"], to: "h100" }], "llm-platform:models[0].gpuPool", /no GPU pool named "h100"; cluster.gpuPools has: l4/],
  ["local", "serving without any GPU pool", [{ set: ["models"], to: [{ name: "m", model: "x/y", gpuPool: "l4" }] }], "llm-platform:models[0].gpuPool", /cluster.gpuPools is empty/],
  ["dev", "model larger than a node", [{ set: ["models", 0, "gpuCount"], to: 2 }], "llm-platform:models[0].gpuCount", /do not fit on one node/],
  ["dev", "more replicas than GPUs", [{ set: ["models", 0, "maxReplicas"], to: 5 }], "llm-platform:models[0].maxReplicas", /exceed pool "l4"/],
  ["dev", "min replicas above max", [{ set: ["models", 0, "minReplicas"], to: 3 }], "llm-platform:models[0].minReplicas", /must be <= maxReplicas/],
  ["dev", "duplicate model names", [{ set: ["models", 1], to: { name: "qwen-small", model: "a/b", gpuPool: "l4" } }], "llm-platform:models[1].name", /duplicate model name/],
  ["dev", "model name that is not a DNS label", [{ set: ["models", 0, "name"], to: "Qwen_Small" }], "llm-platform:models[0].name", /lowercase DNS label/],
  ["dev", "domain with uppercase and scheme", [{ set: ["domain"], to: "https://Dev.example.com" }], "llm-platform:domain", /lowercase DNS name/],
  ["dev", "Let's Encrypt without an email", [{ set: ["tls"], to: { issuer: "letsencrypt" } }], "llm-platform:tls.acmeEmail", /required when tls.issuer/],
  ["local", "Let's Encrypt for a private domain", [{ set: ["tls"], to: { issuer: "letsencrypt", acmeEmail: "a@b.io" } }], "llm-platform:tls.issuer", /cannot issue for "llm.localhost"/],
  ["dev", "ingress without cert-manager", [{ set: ["addons", "certManager", "enabled"], to: false }], "llm-platform:addons.certManager.enabled", /every exposed endpoint gets TLS/],
  ["dev", "autoscaling without monitoring", [{ set: ["addons", "monitoring", "enabled"], to: false }], "llm-platform:addons.monitoring.enabled", /autoscales/],
  ["dev", "two Elasticsearch nodes", [{ set: ["addons", "logging", "elasticsearchNodes"], to: 2 }], "llm-platform:addons.logging.elasticsearchNodes", /quorum/],
  ["prod", "prod logging without HA", [{ set: ["addons", "logging", "elasticsearchNodes"], to: 1 }], "llm-platform:addons.logging.elasticsearchNodes", /at least 3/],
  ["dev", "pipeline without Argo Workflows", [{ set: ["addons", "argoWorkflows", "enabled"], to: false }], "llm-platform:addons.argoWorkflows.pipeline", /needs addons.argoWorkflows.enabled/],
  ["dev", "app-of-apps with a bad repo URL", [{ set: ["addons", "argocd", "appOfApps"], to: { repoUrl: "ftp://x" } }], "llm-platform:addons.argocd.appOfApps.repoUrl", /https:\/\/ or git@/],
  ["local", "duplicate GPU pool names", [{ set: ["cluster", "gpuPools"], to: [k3sPool, k3sPool] }], "llm-platform:cluster.gpuPools[1].name", /duplicate GPU pool name/],
  ["local", "GPU pool selecting no nodes", [{ set: ["cluster", "gpuPools"], to: [{ ...k3sPool, nodeSelector: {} }] }], "llm-platform:cluster.gpuPools[0].nodeSelector", /at least one label/],
  ["local", "toleration with a bad effect", [{ set: ["cluster", "gpuPools"], to: [{ ...k3sPool, tolerations: [{ key: "nvidia.com/gpu", effect: "NoEntry" }] }] }], "llm-platform:cluster.gpuPools[0].tolerations[0].effect", /"NoSchedule"/],
  ["dev", "GPU memory utilization above 0.98", [{ set: ["models", 0, "gpuMemoryUtilization"], to: 1.2 }], "llm-platform:models[0].gpuMemoryUtilization", /must be <= 0.98/],
  ["dev", "SLO target of 100%", [{ set: ["addons", "monitoring", "slo", "availability"], to: 1 }], "llm-platform:addons.monitoring.slo.availability", /must be < 1/],
];

describe("config mistakes are rejected with the key path, the bad value and what is allowed", () => {
  it("covers at least 20 distinct kinds of mistakes", () => {
    expect(new Set(mistakes.map(([, kind]) => kind)).size).toBeGreaterThanOrEqual(20);
  });

  it.each(mistakes)("%s: %s", (stack, _kind, mutations, path, words) => {
    const errors = errorsOf(validateStack(stack, mutations, kubeconfig));
    const matching = errors.filter((error) => error.startsWith(`${path}:`));
    expect(matching, `errors were:\n${errors.join("\n")}`).not.toHaveLength(0);
    expect(matching.join("\n")).toMatch(words);
  });

  it("reports every problem at once, one line each", () => {
    const errors = errorsOf(validateStack("dev", [
      { set: ["clustr"], to: {} },
      { set: ["models", 0, "gpuCount"], to: -1 },
      { set: ["addons", "logging", "elasticsearchNodes"], to: 0 },
    ], kubeconfig));
    expect(errors).toHaveLength(3);
  });

  it("requires the kubeconfig of an existing cluster, and never prints a secret's value", () => {
    expect(errorsOf(validateStack("local"))).toEqual([expect.stringMatching(/^llm-platform:kubeconfig: got nothing; required when/)]);
    const errors = errorsOf(validateStack("local", [{ set: ["notifyWebhookUrl"], to: "http://hooks.example.com/very-secret-token" }], kubeconfig));
    expect(errors.join("\n")).toMatch(/llm-platform:notifyWebhookUrl/);
    expect(errors.join("\n")).not.toContain("very-secret-token");
  });

  it("rejects a credential stored in plaintext", () => {
    const errors = errorsOf(validateStack("local", [{ set: ["kubeconfig"], to: "apiVersion: v1" }]));
    expect(errors).toEqual([expect.stringMatching(/^llm-platform:kubeconfig: is set in plaintext/)]);
  });
});
