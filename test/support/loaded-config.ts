import type { LoadedConfig } from "../../stacks/config";
import { secretKeys, type SecretKey } from "../../stacks/config/schema";
import { validateStack } from "./config";

/** A committed stack's validated config, as the program sees it (without secrets), for pure builders. */
export function loadStackConfig(stack: string): LoadedConfig {
  // Only a stack that adopts an existing cluster takes a kubeconfig.
  const result = validateStack(stack, [], stack === "local" ? { kubeconfig: "apiVersion: v1" } : {});
  if (!result.ok) throw new Error(result.errors.join("\n"));
  const config: Partial<typeof result.config> = { ...result.config };
  for (const key of secretKeys) delete config[key];
  return { ...(config as Omit<typeof result.config, SecretKey>), secrets: {} };
}

/** The same config on the ingress-nginx front door (a per-stack choice that stays supported). */
export function withIngressNginx(config: LoadedConfig): LoadedConfig {
  return { ...config, addons: { ...config.addons, ingress: { ...config.addons.ingress, implementation: "ingress-nginx" } } };
}
