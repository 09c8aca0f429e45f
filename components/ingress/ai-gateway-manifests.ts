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
  readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string };
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
export function consumerKeyPolicyManifest(
  name: string,
  gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string },
  secretName: string,
): Record<string, unknown> {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "SecurityPolicy",
    metadata: { name, namespace: gateway.namespace },
    spec: {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: gateway.name, sectionName: gateway.sectionName }],
      apiKeyAuth: {
        credentialRefs: [{ kind: "Secret", name: secretName }],
        extractFrom: [{ headers: ["authorization"] }],
        forwardClientIDHeader: consumerHeader,
        sanitize: true,
      },
    },
  };
}
