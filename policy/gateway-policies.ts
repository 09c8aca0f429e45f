import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { platformGateway } from "./lib";

/**
 * Rules for the Gateway API front door (Envoy Gateway v1.9, Envoy AI Gateway v1.1). Field names follow
 * the pinned CRDs: Gateway API v1.6 (`gateway.networking.k8s.io/v1`), Envoy Gateway's
 * `gateway.envoyproxy.io/v1alpha1` and the AI gateway's `aigateway.envoyproxy.io/v1beta1`.
 */

const gatewayApiGroup = "gateway.networking.k8s.io";

/** Whether a Kubernetes resource type (`kubernetes:<group>/<version>:<Kind>`) is `kind` of `group`, at any version. */
const isKind = (type: string, group: string, kind: string | RegExp) => {
  const match = /^kubernetes:([^/]+)\/[^:]+:(.+)$/.exec(type);
  return !!match && match[1] === group && (typeof kind === "string" ? match[2] === kind : kind.test(match[2]!));
};

/** Every route kind that attaches to a Gateway: Gateway API's own and the AI gateway's. */
const isRoute = (type: string) =>
  isKind(type, gatewayApiGroup, /Route$/) || isKind(type, "aigateway.envoyproxy.io", /^(AIGatewayRoute|MCPRoute)$/);

interface ParentRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  sectionName?: string;
}

interface Listener {
  name?: string;
  hostname?: string;
  port?: number;
  protocol?: string;
  tls?: { mode?: string; certificateRefs?: unknown[] };
}

interface Metadata {
  name?: string;
  namespace?: string;
}

type RouteRule = { filters?: { type?: string; requestRedirect?: { scheme?: string } }[]; backendRefs?: unknown[] };

const parentRefsOf = (props: Record<string, unknown>) => ((props.spec as { parentRefs?: ParentRef[] } | undefined)?.parentRefs ?? []);

/**
 * The namespace a parentRef points into: its own, or the route's (read only then: a route's namespace
 * can come from another resource and be unknown during a preview).
 */
const parentNamespace = (ref: ParentRef, props: Record<string, unknown>) => ref.namespace ?? (props.metadata as Metadata | undefined)?.namespace ?? "default";

export const gatewayListenersHttps: ResourceValidationPolicy = {
  name: "gateway-listeners-https",
  description: "Gateway listeners serve HTTPS with a certificate; plain HTTP only on port 80, for the HTTPS redirect and ACME challenges.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isKind(args.type, gatewayApiGroup, "Gateway")) return args.notApplicable("only applies to Gateways");
    const listeners = (args.props.spec as { listeners?: Listener[] } | undefined)?.listeners ?? [];
    for (const listener of listeners) {
      const where = `listener "${listener.name}"`;
      if (listener.protocol === "HTTP") {
        if (listener.port !== 80) report(`${where}: plain HTTP only on port 80 (the HTTPS redirect and ACME HTTP-01), not ${listener.port}.`);
      } else if (listener.protocol === "HTTPS") {
        // cert-manager issues a listener's certificate only for its hostname; without one the
        // listener would answer every host with whatever certificate it has.
        if (!listener.hostname) report(`${where}: an HTTPS listener needs a hostname (its certificate is issued for it).`);
        // Gateway API's default mode is Terminate; Passthrough would hand TLS to the backend unchecked.
        if ((listener.tls?.mode ?? "Terminate") !== "Terminate") report(`${where}: tls.mode must be Terminate (TLS ends at Envoy).`);
        if ((listener.tls?.certificateRefs ?? []).length === 0) report(`${where}: tls.certificateRefs must name the listener's certificate Secret.`);
      } else {
        report(`${where}: protocol ${listener.protocol} is not allowed; the front door serves HTTPS (and HTTP on :80 for redirects).`);
      }
    }
  },
};

/** Whether every rule of an HTTPRoute only redirects to HTTPS (and sends nothing to a backend). */
const onlyRedirectsToHttps = (rules: RouteRule[]) =>
  rules.length > 0 &&
  rules.every(
    (rule) =>
      (rule.backendRefs ?? []).length === 0 &&
      (rule.filters ?? []).some((filter) => filter.type === "RequestRedirect" && filter.requestRedirect?.scheme === "https"),
  );

export const routesOnPlatformGateway: ResourceValidationPolicy = {
  name: "routes-on-platform-gateway",
  description: "Routes attach only to named listeners of the platform's Gateway; on its plain-HTTP listener only redirects to HTTPS.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!isRoute(args.type)) return args.notApplicable("only applies to Gateway API and AI gateway routes");
    const { name: gateway, namespace, httpListener } = platformGateway;
    for (const ref of parentRefsOf(args.props)) {
      if ((ref.group ?? gatewayApiGroup) !== gatewayApiGroup || (ref.kind ?? "Gateway") !== "Gateway") {
        report(`parentRef ${ref.kind}/${ref.name}: routes attach to a Gateway.`);
        continue;
      }
      if (ref.name !== gateway || parentNamespace(ref, args.props) !== namespace) {
        report(`parentRef ${ref.name}: routes attach only to the platform's Gateway ${namespace}/${gateway} (policy/lib.ts platformGateway).`);
        continue;
      }
      // Without a sectionName a route joins every listener, the plain-HTTP one included.
      if (!ref.sectionName) {
        report(`parentRef ${ref.name}: set sectionName to the host's HTTPS listener (without it the route is served over plain HTTP too).`);
        continue;
      }
      const rules = ((args.props.spec as { rules?: RouteRule[] } | undefined)?.rules ?? []);
      if (ref.sectionName === httpListener && !(isKind(args.type, gatewayApiGroup, "HTTPRoute") && onlyRedirectsToHttps(rules))) {
        report(`parentRef ${ref.name}/${ref.sectionName}: on the plain-HTTP listener a route may only redirect to https (RequestRedirect, no backendRefs).`);
      }
    }
  },
};

interface TargetRef {
  group?: string;
  kind?: string;
  name?: string;
  sectionName?: string;
}

interface SecurityPolicySpec {
  targetRef?: TargetRef;
  targetRefs?: TargetRef[];
  mergeType?: string;
  apiKeyAuth?: { credentialRefs?: unknown[]; extractFrom?: unknown[] };
}

const isSecurityPolicy = (resource: PolicyResource) => isKind(resource.type, "gateway.envoyproxy.io", "SecurityPolicy");
const targetsOf = (spec: SecurityPolicySpec) => [...(spec.targetRefs ?? []), ...(spec.targetRef ? [spec.targetRef] : [])];
const checksApiKeys = (spec: SecurityPolicySpec) =>
  (spec.apiKeyAuth?.credentialRefs ?? []).length > 0 && (spec.apiKeyAuth?.extractFrom ?? []).length > 0;

/**
 * Whether the LLM route's attachment to `ref` is behind apiKeyAuth. Envoy Gateway applies the most
 * specific SecurityPolicy only: one on the route replaces its listener's, one on the listener replaces
 * the whole Gateway's; so the most specific level that has a policy decides, unless its policies ask
 * to be merged with the level above (mergeType). The AI gateway names the HTTPRoute it makes from an
 * AIGatewayRoute after it, so a policy on that HTTPRoute is a policy on the AIGatewayRoute.
 */
function apiKeysGuard(route: PolicyResource, ref: ParentRef, policies: PolicyResource[]): boolean {
  const specOf = (policy: PolicyResource) => (policy.props.spec ?? {}) as SecurityPolicySpec;
  const namespaceOf = (resource: PolicyResource) => (resource.props.metadata as Metadata | undefined)?.namespace ?? "default";
  const routeName = (route.props.metadata as Metadata | undefined)?.name;
  const targeting = (matches: (target: TargetRef) => boolean, namespace: () => string) =>
    policies.filter((policy) => targetsOf(specOf(policy)).some(matches) && namespaceOf(policy) === namespace());
  const onGateway = (target: TargetRef) => target.group === gatewayApiGroup && target.kind === "Gateway" && target.name === ref.name;
  const levels = [
    () => targeting((t) => t.group === gatewayApiGroup && t.kind === "HTTPRoute" && t.name === routeName, () => namespaceOf(route)),
    () => targeting((t) => onGateway(t) && t.sectionName !== undefined && t.sectionName === ref.sectionName, () => parentNamespace(ref, route.props)),
    () => targeting((t) => onGateway(t) && t.sectionName === undefined, () => parentNamespace(ref, route.props)),
  ];
  for (const level of levels) {
    const found = level();
    if (found.length === 0) continue;
    if (found.every((policy) => checksApiKeys(specOf(policy)))) return true;
    if (!found.every((policy) => specOf(policy).mergeType !== undefined)) return false;
  }
  return false;
}

/** Routes to the models: the LLM API's AIGatewayRoute, and any route the serving components create. */
const isLlmRoute = (resource: PolicyResource) =>
  isKind(resource.type, "aigateway.envoyproxy.io", "AIGatewayRoute") || (isRoute(resource.type) && /::llm-platform:serving:[^:]*\$/.test(resource.urn));

export const llmRoutesRequireConsumerKeys: StackValidationPolicy = {
  name: "llm-routes-require-consumer-keys",
  description: "Every route to the models sits behind an Envoy Gateway SecurityPolicy with apiKeyAuth (the consumers' keys).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const policies = args.resources.filter(isSecurityPolicy);
    for (const route of args.resources.filter(isLlmRoute)) {
      for (const ref of parentRefsOf(route.props)) {
        if (!apiKeysGuard(route, ref, policies)) {
          report(
            `${route.type.split(":").pop()} ${(route.props.metadata as Metadata | undefined)?.name ?? route.name} on ${ref.name}/${ref.sectionName ?? "*"} is not behind apiKeyAuth: add a SecurityPolicy ` +
              "with apiKeyAuth on its listener (as components/serving/llm-api.ts does), or do not route to the models there.",
            route.urn,
          );
        }
      }
    }
  },
};

export const gatewayPolicies = { resource: [gatewayListenersHttps, routesOnPlatformGateway], stack: [llmRoutesRequireConsumerKeys] };
