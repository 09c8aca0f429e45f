import * as pulumi from "@pulumi/pulumi";
import { secretKeys, type PlatformConfig, type SecretKey } from "./schema";
import { currentRunKind, describePlaceholder, findPlaceholders, type RunKind } from "./placeholders";
import { validateConfig } from "./validate";

export { projectName, type PlatformConfig, type ClusterConfig } from "./schema";
export { gpuPoolCapacities } from "./rules";

/** Validated config, with every credential wrapped as a Pulumi secret. */
export type LoadedConfig = Omit<PlatformConfig, SecretKey> & {
  readonly secrets: { readonly [K in SecretKey]?: pulumi.Output<string> };
};

/** Thrown for invalid stack config; Pulumi prints a RunError's message without a stack trace. */
export class ConfigError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(`Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
  }
}

// The SDK marks isConfigSecret internal, but it is the only way to tell a plaintext credential from a secret one.
const isConfigSecret = (key: string): boolean =>
  (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret(key);

/** Reads and validates this stack's config. Call it before creating any resource. */
export function loadConfig(runKind: RunKind = currentRunKind()): LoadedConfig {
  const raw = pulumi.runtime.allConfig();
  const secretConfigKeys = new Set(Object.keys(raw).filter(isConfigSecret));
  // allConfig holds every key of the stack, whatever its namespace, so that a misspelled namespace is caught.
  const result = validateConfig(raw, secretConfigKeys, pulumi.getStack());
  if (!result.ok) throw new ConfigError(result.errors);
  // Example values synthesize (and preview, with a warning), but a real update stops before any resource.
  const placeholders = findPlaceholders(result.config).map(describePlaceholder);
  if (placeholders.length > 0 && runKind === "up") throw new ConfigError(placeholders);
  if (placeholders.length > 0 && runKind === "preview") void pulumi.log.warn(`pulumi up will refuse this stack until its example values are replaced:\n  - ${placeholders.join("\n  - ")}`);
  const { kubeconfig, sshPrivateKey, hfToken, notifyWebhookUrl, ...rest } = result.config;
  const plain = { kubeconfig, sshPrivateKey, hfToken, notifyWebhookUrl };
  const secrets: { [K in SecretKey]?: pulumi.Output<string> } = {};
  for (const key of secretKeys) {
    const value = plain[key];
    if (value !== undefined) secrets[key] = pulumi.secret(value);
  }
  return { ...rest, secrets };
}
