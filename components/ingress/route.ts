import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { httpRouteManifest, serviceRoutingPolicyManifest } from "./gateway-manifests";
import type { IngressLayer, IngressRouting } from "./types";

/** Whether add-ons make Ingress objects (ingress-nginx) rather than HTTPRoutes (the Gateway). */
export const usesIngressObjects = (ingress: IngressRouting | undefined): ingress is IngressRouting => ingress !== undefined && ingress.gateway === undefined;

/** A Helm fullname as charts compute it: at most 63 characters, no trailing dash. */
export const helmName = (name: string) => name.slice(0, 63).replace(/-+$/, "");

export interface ServiceRoute {
  readonly namespace: pulumi.Input<string>;
  readonly service: string;
  readonly port: number;
  /** The public host, from `ingress.host(...)`. */
  readonly host: string;
  /** Paths routed (prefix match). @default ["/"] */
  readonly pathPrefixes?: readonly string[];
  /** Gateway API duration for a whole request, e.g. "630s". @default Envoy's 15 s */
  readonly requestTimeout?: string;
  /** Route to the Service's address, not its pods, so requests while no pod runs are counted (serviceRoutingPolicyManifest). @default false */
  readonly viaServiceAddress?: boolean;
}

/**
 * An HTTPRoute from the host's listener on the stack's Gateway to a Service; undefined when the front
 * door is ingress-nginx (the add-on then makes an Ingress). Waits on the Gateway API CRDs only.
 */
export function gatewayRoute(
  name: string,
  ingress: IngressLayer | undefined,
  route: ServiceRoute,
  opts: { parent: pulumi.Resource; provider: k8s.Provider },
): k8s.apiextensions.CustomResource | undefined {
  if (!ingress?.gateway) return undefined;
  const { gateway } = ingress;
  const manifest = httpRouteManifest({
    name: route.service,
    namespace: "",
    gateway: { name: gateway.name, namespace: gateway.namespace, sectionName: gateway.listener(route.host) },
    host: route.host,
    service: route.service,
    port: route.port,
    ...(route.pathPrefixes ? { pathPrefixes: route.pathPrefixes } : {}),
    ...(route.requestTimeout ? { requestTimeout: route.requestTimeout } : {}),
  }) as { apiVersion: string; kind: string; metadata: { name: string }; spec: object };
  const custom = (resourceName: string, object: { apiVersion: string; kind: string; metadata: { name: string }; spec: object }) =>
    new k8s.apiextensions.CustomResource(
      resourceName,
      { apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata.name, namespace: route.namespace }, spec: object.spec },
      { ...opts, dependsOn: [ingress.ready] },
    );
  const resource = custom(name, manifest);
  if (route.viaServiceAddress) {
    custom(`${name}-service-routing`, serviceRoutingPolicyManifest(`${route.service}-service-routing`, "", route.service) as typeof manifest);
  }
  return resource;
}
