/**
 * The Envoy AI Gateway objects of the LLM API (aigateway.envoyproxy.io/v1beta1) and the Envoy Gateway
 * ones it needs (Backend, SecurityPolicy), as pure functions so that tests validate each against the
 * CRD schemas of the pinned releases without a cluster.
 */

/** The header the AI gateway fills from the request body's `model` before routing. */
export const modelHeader = "x-ai-eg-model";

/** The header Envoy Gateway's apiKeyAuth sets to the caller's consumer name (overwriting a client's). */
export const consumerHeader = "x-llm-consumer";

/** The key in a Secret that the AI gateway reads an upstream API key from (internal/controller apiKeyInSecret). */
export const backendApiKeyField = "apiKey";

/** The metadata the AI gateway writes each response's token counts to (api/v1beta1 AIGatewayFilterMetadataNamespace). */
export const tokenCostMetadata = { namespace: "io.envoy.ai_gateway", key: "llm_total_token" } as const;

/** At most this many rules per AIGatewayRoute (its CRD's maxItems): one per model, two more per canary. */
export const maxRouteRules = 15;

/** The one rule name the AIGatewayRoute CRD refuses (a CEL rule of v1beta1): the AI gateway's own fallback route. */
export const reservedRouteRuleName = "route-not-found";

/**
 * The header that pins a request to one version of a model with a canary (A/B tests): its value is
 * the version's name. Without it a request goes to a version by weight.
 */
export const versionHeader = "x-llm-version";

export interface LlmBackend {
  /** The backend's name: its release's (a model's, or a canary's `<model>-<version>`). */
  readonly name: string;
  /** The release's Service (in `namespace`) and port. */
  readonly service: string;
  readonly port: number;
}

/** One version of a model behind the LLM API. */
export interface LlmModelVersion {
  readonly version: string;
  /** Its backend (LlmBackend.name). */
  readonly backend: string;
  /** Percent of the model's requests it gets (0 to 100; a model's versions add up to 100). */
  readonly weight: number;
}

/** One rule of the LLM API's route, as llmRouteRules orders them. */
export interface LlmRouteRule {
  readonly name: string;
  /** The model (request `model`) it serves. */
  readonly model: string;
  /** The version header's value it matches too, for a rule that pins one version. */
  readonly version?: string;
  readonly backendRefs: readonly { readonly name: string; readonly weight?: number }[];
}

/**
 * The route's rules: first one per model, in order (rule i serves model i, so adding a canary never
 * renumbers another model's rule, which Envoy's per-rule metrics are named by), sending to the model's
 * versions by weight; then, per version of a model with several, a rule that also matches the version
 * header. Gateway API prefers the match with more header matches, so a pinned request takes the
 * latter. A version at weight 0 keeps its backendRef (Gateway API: weight 0 gets no requests by
 * weight) and its pinned rule, so it stays reachable. Pure.
 */
export function llmRouteRules(models: readonly string[], versions: Readonly<Record<string, readonly LlmModelVersion[]>> = {}): LlmRouteRule[] {
  const several = (model: string) => (versions[model]?.length ?? 0) > 1;
  const byWeight = models.map((model) => ({
    name: model,
    model,
    backendRefs: several(model) ? versions[model]!.map((version) => ({ name: version.backend, weight: version.weight })) : [{ name: model }],
  }));
  const pinned = models.filter(several).flatMap((model) =>
    versions[model]!.map((version) => ({ name: `${model}.${version.version}`, model, version: version.version, backendRefs: [{ name: version.backend }] })),
  );
  return [...byWeight, ...pinned];
}

/** An Envoy Gateway Backend for a model's Service: the AIServiceBackend must point at a Backend. */
export function backendManifest(namespace: string, backend: LlmBackend): Record<string, unknown> {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "Backend",
    metadata: { name: backend.name, namespace },
    spec: { endpoints: [{ fqdn: { hostname: `${backend.service}.${namespace}.svc.cluster.local`, port: backend.port } }] },
  };
}

/** The model's server speaks the OpenAI API (vLLM and llama.cpp both serve /v1). */
export function aiServiceBackendManifest(namespace: string, backend: LlmBackend): Record<string, unknown> {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "AIServiceBackend",
    metadata: { name: backend.name, namespace },
    spec: { schema: { name: "OpenAI" }, backendRef: { group: "gateway.envoyproxy.io", kind: "Backend", name: backend.name } },
  };
}

/**
 * The key the gateway sends to the models (`Authorization: Bearer <key>`), replacing whatever the
 * client sent: the models keep their own key as a second layer and never see a consumer's.
 */
export function backendApiKeyPolicyManifest(name: string, namespace: string, secretName: string, backends: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "BackendSecurityPolicy",
    metadata: { name, namespace },
    spec: {
      type: "APIKey",
      apiKey: { secretRef: { name: secretName } },
      targetRefs: backends.map((backend) => ({ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: backend })),
    },
  };
}

export interface LlmRouteInput {
  readonly name: string;
  readonly namespace: string;
  readonly gateway: GatewayListener;
  readonly models: readonly string[];
  /** The versions of each model with a canary; any other model's one backend is named after it. @default none */
  readonly versions?: Readonly<Record<string, readonly LlmModelVersion[]>>;
  /** Gateway API duration for a whole request, streamed completions included (the AI gateway's default is 60 s). */
  readonly requestTimeout: string;
}

/** The request's `model` (and, for a model with a canary, its weights or the version header) picks the backend. */
export function llmRouteManifest(input: LlmRouteInput): Record<string, unknown> {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "AIGatewayRoute",
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      parentRefs: [{ name: input.gateway.name, namespace: input.gateway.namespace, sectionName: input.gateway.sectionName }],
      // Each response's total tokens, which the consumers' token budgets are charged with.
      llmRequestCosts: [{ metadataKey: tokenCostMetadata.key, type: "TotalToken" }],
      rules: llmRouteRules(input.models, input.versions).map((rule) => ({
        name: rule.name,
        matches: [
          {
            headers: [
              { type: "Exact", name: modelHeader, value: rule.model },
              ...(rule.version === undefined ? [] : [{ type: "Exact", name: versionHeader, value: rule.version }]),
            ],
          },
        ],
        backendRefs: rule.backendRefs.map((ref) => ({ ...ref })),
        timeouts: { request: input.requestTimeout },
      })),
    },
  };
}

/**
 * Only callers with a consumer key pass the LLM API's listener. Envoy strips `Bearer ` from the
 * Authorization header, finds the consumer whose key it is, sets `consumerHeader` to that name (a
 * client's own value is overwritten) and removes the key from the request (`sanitize`).
 */
export function consumerKeyPolicyManifest(name: string, gateway: GatewayListener, secretName: string): Record<string, unknown> {
  return listenerPolicy("SecurityPolicy", name, gateway, {
    apiKeyAuth: {
      credentialRefs: [{ kind: "Secret", name: secretName }],
      extractFrom: [{ headers: ["authorization"] }],
      forwardClientIDHeader: consumerHeader,
      sanitize: true,
    },
  });
}

/** One listener of the stack's Gateway. */
export interface GatewayListener {
  readonly name: string;
  readonly namespace: string;
  readonly sectionName: string;
}

/** An Envoy Gateway policy on one listener of the Gateway (it lives in the Gateway's namespace). */
function listenerPolicy(kind: string, name: string, gateway: GatewayListener, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind,
    metadata: { name, namespace: gateway.namespace },
    spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gateway.name, sectionName: gateway.sectionName }], ...spec },
  };
}

/** A consumer's limits; absent ones are unlimited. */
export interface ConsumerBudget {
  readonly consumer: string;
  /** Tokens (prompt plus completion) per hour, charged when each response ends. */
  readonly tokensPerHour?: number;
  readonly requestsPerMinute?: number;
}

/** The body a consumer over budget gets with its 429, in the OpenAI error shape its SDK reads. */
export const overBudgetBody = JSON.stringify({
  error: { message: "Rate limit reached for this API key: its token or request budget is used up. Retry later.", type: "rate_limit_exceeded", code: "rate_limit_exceeded" },
});

/**
 * The consumers' budgets on the LLM API's listener: global (shared by every Envoy replica, counted in
 * Redis) and keyed by the consumer name that apiKeyAuth forwarded, which a client cannot set itself.
 * A token rule costs nothing when a request starts and the response's total tokens when it ends, so
 * a request is refused once the budget is spent (a long stream may overshoot it once). Each rule is
 * `shared`: one counter for the whole listener, so a consumer's budget covers every model (without it
 * Envoy Gateway counts per route rule, i.e. per model).
 */
export function budgetPolicyManifest(name: string, gateway: GatewayListener, budgets: readonly ConsumerBudget[]): Record<string, unknown> {
  const selector = (consumer: string) => [{ headers: [{ name: consumerHeader, type: "Exact", value: consumer }] }];
  const rules = budgets.flatMap((budget) => [
    ...(budget.tokensPerHour === undefined
      ? []
      : [{
          clientSelectors: selector(budget.consumer),
          limit: { requests: budget.tokensPerHour, unit: "Hour" },
          shared: true,
          cost: { request: { from: "Number", number: 0 }, response: { from: "Metadata", metadata: { ...tokenCostMetadata } } },
        }]),
    ...(budget.requestsPerMinute === undefined ? [] : [{ clientSelectors: selector(budget.consumer), limit: { requests: budget.requestsPerMinute, unit: "Minute" }, shared: true }]),
  ]);
  return listenerPolicy("BackendTrafficPolicy", name, gateway, {
    rateLimit: { type: "Global", global: { rules } },
    // Only the gateway's own 429s (a model's own 429 passes unchanged).
    responseOverride: [
      {
        match: { statusCodes: [{ type: "Value", value: 429 }] },
        source: "Local",
        response: { contentType: "application/json", body: { type: "Inline", inline: overBudgetBody } },
      },
    ],
  });
}
