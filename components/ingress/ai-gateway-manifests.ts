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

/** At most this many rules per AIGatewayRoute (its CRD's maxItems): one per model. */
export const maxRouteRules = 15;

export interface LlmBackend {
  /** The served model name, as clients send it in `model`. */
  readonly model: string;
  /** The model's Service (in `namespace`) and port. */
  readonly service: string;
  readonly port: number;
}

/** An Envoy Gateway Backend for a model's Service: the AIServiceBackend must point at a Backend. */
export function backendManifest(namespace: string, backend: LlmBackend): Record<string, unknown> {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "Backend",
    metadata: { name: backend.model, namespace },
    spec: { endpoints: [{ fqdn: { hostname: `${backend.service}.${namespace}.svc.cluster.local`, port: backend.port } }] },
  };
}

/** The model's server speaks the OpenAI API (vLLM and llama.cpp both serve /v1). */
export function aiServiceBackendManifest(namespace: string, backend: LlmBackend): Record<string, unknown> {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "AIServiceBackend",
    metadata: { name: backend.model, namespace },
    spec: { schema: { name: "OpenAI" }, backendRef: { group: "gateway.envoyproxy.io", kind: "Backend", name: backend.model } },
  };
}

/**
 * The key the gateway sends to the models (`Authorization: Bearer <key>`), replacing whatever the
 * client sent: the models keep their own key as a second layer and never see a consumer's.
 */
export function backendApiKeyPolicyManifest(name: string, namespace: string, secretName: string, models: readonly string[]): Record<string, unknown> {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "BackendSecurityPolicy",
    metadata: { name, namespace },
    spec: {
      type: "APIKey",
      apiKey: { secretRef: { name: secretName } },
      targetRefs: models.map((model) => ({ group: "aigateway.envoyproxy.io", kind: "AIServiceBackend", name: model })),
    },
  };
}

export interface LlmRouteInput {
  readonly name: string;
  readonly namespace: string;
  readonly gateway: GatewayListener;
  readonly models: readonly string[];
  /** Gateway API duration for a whole request, streamed completions included (the AI gateway's default is 60 s). */
  readonly requestTimeout: string;
}

/** One rule per model: the request's `model` picks the model's backend. */
export function llmRouteManifest(input: LlmRouteInput): Record<string, unknown> {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "AIGatewayRoute",
    metadata: { name: input.name, namespace: input.namespace },
    spec: {
      parentRefs: [{ name: input.gateway.name, namespace: input.gateway.namespace, sectionName: input.gateway.sectionName }],
      // Each response's total tokens, which the consumers' token budgets are charged with.
      llmRequestCosts: [{ metadataKey: tokenCostMetadata.key, type: "TotalToken" }],
      rules: input.models.map((model) => ({
        name: model,
        matches: [{ headers: [{ type: "Exact", name: modelHeader, value: model }] }],
        backendRefs: [{ name: model }],
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
