import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  aiServiceBackendManifest,
  backendApiKeyPolicyManifest,
  backendManifest,
  budgetPolicyManifest,
  type ConsumerBudget,
  consumerKeyPolicyManifest,
  llmRouteManifest,
  type LlmBackend,
  type LlmModelVersion,
} from "../ingress/ai-gateway-manifests";

export interface LlmApiArgs {
  readonly provider: k8s.Provider;
  /** Where the models run (a name: the Backends address their Services by it); the route, backends and their key policy live there too. */
  readonly namespace: string;
  /** The Gateway listener of `host`; the consumer key policy and the consumers' Secret go in its namespace. */
  readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string };
  /** The API's public host: the base URL is `https://<host>/v1`. */
  readonly host: string;
  readonly backends: readonly LlmBackend[];
  /** The models clients ask for, in order (the route's rule i serves model i). */
  readonly models: readonly string[];
  /** The versions of each model with a canary, by model; any other model's backend is named after it. @default none */
  readonly versions?: Readonly<Record<string, readonly LlmModelVersion[]>>;
  /** The models' own key (a Secret in `namespace` with it under `apiKey`), which the gateway sends them. */
  readonly modelKeySecret: string;
  /** Consumers and their budgets; each gets its own key. */
  readonly consumers: readonly ConsumerBudget[];
  /** Seconds one request may take, a whole streamed completion included. */
  readonly requestTimeoutSeconds: number;
  /** The CRDs of the kinds created here (Envoy Gateway's, the AI gateway's), the models' namespace and Secret. */
  readonly dependsOn: readonly pulumi.Resource[];
  /**
   * What the route (only it) also waits for: the releases that must be ready before it sends them
   * traffic, e.g. a new canary's, whose atomic release waits through its download and load. @default none
   */
  readonly routeDependsOn?: readonly pulumi.Resource[];
}

/** Name of the route, and of the HTTPRoute the AI gateway makes from it (its rule i serves model i). */
export const llmRouteName = "llm-api";
/** The Opaque Secret apiKeyAuth reads: one entry per consumer, its name as key and its API key as value. */
export const consumerKeysSecret = "llm-api-consumers";

/**
 * The one OpenAI-compatible API of the stack: `https://api.<domain>/v1`, routed by the request's
 * `model` to that model's release (one AIGatewayRoute rule per model), open only to the listed
 * consumers, each with its own key. The models still check their own key, which only the gateway sends.
 */
export class LlmApi extends pulumi.ComponentResource {
  readonly url: string;
  readonly models: readonly string[];
  /** Secret: consumer name → API key. */
  readonly consumerKeys: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: LlmApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:serving:LlmApi", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] };
    const custom = (suffix: string, manifest: Record<string, unknown>, dependsOn: readonly pulumi.Resource[] = []) =>
      new k8s.apiextensions.CustomResource(`${name}-${suffix}`, manifest as k8s.apiextensions.CustomResourceArgs, {
        ...k8sOpts,
        dependsOn: [...k8sOpts.dependsOn, ...dependsOn],
      });

    for (const backend of args.backends) {
      custom(`${backend.name}-backend`, backendManifest(args.namespace, backend));
      custom(`${backend.name}-ai-backend`, aiServiceBackendManifest(args.namespace, backend));
    }
    const { models } = args;
    const backends = args.backends.map((backend) => backend.name);
    custom("model-key", backendApiKeyPolicyManifest("llm-serving-api-key", args.namespace, args.modelKeySecret, backends));
    custom(
      "route",
      llmRouteManifest({
        name: llmRouteName,
        namespace: args.namespace,
        gateway: args.gateway,
        models,
        ...(args.versions ? { versions: args.versions } : {}),
        requestTimeout: `${args.requestTimeoutSeconds}s`,
      }),
      args.routeDependsOn,
    );

    // Alphanumeric keys, like the models' own: they travel in an Authorization header and in shell snippets.
    const keys = Object.fromEntries(
      args.consumers.map(({ consumer }) => [
        consumer,
        new random.RandomPassword(`${name}-consumer-${consumer}`, { length: 48, special: false }, { parent: this }).result,
      ]),
    );
    this.consumerKeys = pulumi.secret(pulumi.all(keys));
    // A consumer removed from config leaves this Secret at the next `pulumi up`: its key stops working.
    new k8s.core.v1.Secret(
      `${name}-consumer-keys`,
      { metadata: { name: consumerKeysSecret, namespace: args.gateway.namespace }, type: "Opaque", stringData: this.consumerKeys },
      // After the front door is ready, which is after the gateway's namespace exists.
      k8sOpts,
    );
    custom("consumer-keys", consumerKeyPolicyManifest("llm-api-consumer-keys", args.gateway, consumerKeysSecret));
    // Budgets need Envoy Gateway's global rate limit, which the ingress layer turns on for them.
    const budgets = args.consumers.filter((budget) => budget.tokensPerHour !== undefined || budget.requestsPerMinute !== undefined);
    if (budgets.length > 0) custom("budgets", budgetPolicyManifest("llm-api-budgets", args.gateway, budgets));

    this.url = `https://${args.host}/v1`;
    this.models = models;
    this.registerOutputs({ url: this.url, models, consumerKeys: this.consumerKeys });
  }
}
