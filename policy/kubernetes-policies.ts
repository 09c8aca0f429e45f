import type { ServiceArgs } from "@pulumi/kubernetes/core/v1";
import type { ReleaseArgs } from "@pulumi/kubernetes/helm/v3";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { globMatch, hostAccessExceptions, loadBalancerExceptions, type HostAccessException } from "./allow-list";
import { exactSemver, forType, forTypes, parentType, unpinnedImage } from "./lib";
import { workloadOf, workloadTypes, type Workload } from "./workloads";

export const types = {
  service: "kubernetes:core/v1:Service",
  release: "kubernetes:helm.sh/v3:Release",
  chartV4: "kubernetes:helm.sh/v4:Chart",
  envoyProxy: "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy",
  gatewayClass: "kubernetes:gateway.networking.k8s.io/v1:GatewayClass",
} as const;

/** Parents whose children come from upstream manifests rather than from our own code. */
const upstreamParents = new Set([
  "kubernetes:helm.sh/v4:Chart",
  "kubernetes:helm.sh/v3:Chart",
  "kubernetes:yaml/v2:ConfigGroup",
  "kubernetes:yaml/v2:ConfigFile",
  "kubernetes:yaml:ConfigGroup",
  "kubernetes:yaml:ConfigFile",
]);

/**
 * Every value in a Helm values tree, with its key path. During preview the policy server hands over
 * a proxy that throws on reading a value not known yet (say, a bucket name from another resource);
 * those leaves are skipped, so that one unknown value does not turn the whole check into a warning.
 */
function* walk(value: unknown, path: string[] = []): Generator<[string[], unknown]> {
  yield [path, value];
  if (!value || typeof value !== "object") return;
  for (const key of Object.keys(value)) {
    let inner: unknown;
    try {
      inner = (value as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    yield* walk(inner, [...path, key]);
  }
}

const workloadPolicy = (check: (workload: Workload, report: (message: string) => void, parent?: string) => void) =>
  ((args, report) => {
    const workload = workloadOf(args.type, args.props, args.name);
    if (!workload) return args.notApplicable(`only applies to ${workloadTypes.join(", ")}`);
    check(workload, report, parentType(args.opts.parent));
  }) satisfies ResourceValidationPolicy["validateResource"];

export const workloadResources: ResourceValidationPolicy = {
  name: "workload-resources",
  description: "Our own workloads set CPU and memory requests and a memory limit on every container.",
  enforcementLevel: "mandatory",
  validateResource: workloadPolicy((workload, report, parent) => {
    // Upstream charts' pods are sized through their chart values, reviewed with the add-on.
    if (parent && upstreamParents.has(parent)) return;
    for (const container of workload.containers) {
      const { requests = {}, limits = {} } = container.resources ?? {};
      const missing = [
        ...(["cpu", "memory"] as const).filter((key) => !(key in requests)).map((key) => `requests.${key}`),
        // No CPU limit required: it throttles bursts; memory has no such elasticity and must be capped.
        ...("memory" in limits ? [] : ["limits.memory"]),
      ];
      if (missing.length > 0) report(`container "${container.name}" must set resources ${missing.join(", ")}.`);
    }
  }),
};

export const noLatestImages: ResourceValidationPolicy = {
  name: "no-latest-images",
  description: "Every container image has an explicit tag (not latest) or a digest, in workloads and in Helm values.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const workload = workloadOf(args.type, args.props, args.name);
    if (workload) {
      for (const container of workload.containers) {
        const problem = unpinnedImage(container.image ?? "");
        if (problem) report(`container "${container.name}": ${problem}.`);
      }
      return;
    }
    if (args.type !== types.release && args.type !== types.chartV4) return args.notApplicable("not a workload or chart");
    for (const [path, value] of walk(args.props.values)) {
      const key = path[path.length - 1];
      const latest = (key === "tag" && value === "latest") || (key === "image" && typeof value === "string" && /:latest$/.test(value));
      if (latest) report(`values.${path.join(".")} uses the latest tag.`);
    }
  },
};

function exceptionFor(workload: Workload): HostAccessException | undefined {
  return hostAccessExceptions.find(
    (entry) => entry.kind === workload.kind && globMatch(entry.namespace, workload.namespace) && globMatch(entry.name, workload.name),
  );
}

const under = (path: string, allowed: string) => path === allowed || path.startsWith(`${allowed.replace(/\/$/, "")}/`);

export const noHostAccess: ResourceValidationPolicy = {
  name: "no-privileged-or-host-access",
  description: "No privileged containers, host namespaces or hostPath volumes, except allow-listed ones (policy/allow-list.ts).",
  enforcementLevel: "mandatory",
  validateResource: workloadPolicy((workload, report) => {
    // Namespace and name are read only for a workload that asks for host access: an exception is
    // looked up by them, and in a preview they may not be known yet (then the check waits for `up`).
    const exception = () => exceptionFor(workload);
    const where = () => `${workload.kind} ${workload.namespace}/${workload.name}`;
    for (const container of workload.containers) {
      if (container.securityContext?.privileged === true && !exception()?.privileged) {
        report(`${where()}: container "${container.name}" is privileged.`);
      }
    }
    const spec = workload.podSpec;
    if ((spec.hostNetwork || spec.hostPID || spec.hostIPC) && !exception()?.hostNamespaces) {
      report(`${where()} uses the host's network, PID or IPC namespace.`);
    }
    for (const volume of spec.volumes ?? []) {
      const path = volume.hostPath?.path;
      if (path === undefined) continue;
      if (!(exception()?.hostPaths ?? []).some((allowed) => under(path, allowed))) {
        report(`${where()} mounts hostPath ${path}; ask for an exception in policy/allow-list.ts.`);
      }
    }
  }),
};

/** Whether the allow-list lets `kind` namespace/name make a LoadBalancer Service. */
const loadBalancerAllowed = (kind: "Service" | "EnvoyProxy", namespace: string, name: string) =>
  loadBalancerExceptions.some(
    (entry) => "name" in entry && (entry.kind ?? "Service") === kind && globMatch(entry.namespace, namespace) && globMatch(entry.name, name),
  );

/** Envoy Gateway's GatewayClass controller names (`config.envoyGateway.gateway.controllerName`). */
const envoyGatewayController = /^gateway\.envoyproxy\.io\//;

interface EnvoyProxyProps {
  metadata?: { name?: string; namespace?: string };
  spec?: { provider?: { type?: string; kubernetes?: { envoyService?: { type?: string } } } };
}

interface GatewayClassProps {
  spec?: { controllerName?: string; parametersRef?: { group?: string; kind?: string; name?: string; namespace?: string } };
}

export const noLoadBalancerServices: ResourceValidationPolicy = {
  name: "no-loadbalancer-services",
  description:
    "Only the front door's proxies get a LoadBalancer Service (ingress-nginx's controller, or Envoy Gateway's through an allow-listed EnvoyProxy); everything else is exposed through them.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.service]: forType<ServiceArgs>(types.service, (props, args, report) => {
      if (props.spec?.type !== "LoadBalancer") return;
      const namespace = props.metadata?.namespace ?? "default";
      const name = props.metadata?.name ?? args.name;
      if (!loadBalancerAllowed("Service", namespace, name)) report(`Service ${namespace}/${name} is of type LoadBalancer; expose it through the ingress instead.`);
    }),
    // Envoy Gateway makes each Gateway's proxy Service from its EnvoyProxy, of type LoadBalancer unless it says otherwise.
    [types.envoyProxy]: forType<EnvoyProxyProps>(types.envoyProxy, (props, args, report) => {
      const provider = props.spec?.provider;
      if (provider?.type !== undefined && provider.type !== "Kubernetes") return;
      if ((provider?.kubernetes?.envoyService?.type ?? "LoadBalancer") !== "LoadBalancer") return;
      const namespace = props.metadata?.namespace ?? "default";
      const name = props.metadata?.name ?? args.name;
      if (!loadBalancerAllowed("EnvoyProxy", namespace, name)) {
        report(`EnvoyProxy ${namespace}/${name} makes a LoadBalancer Service (envoyService.type, LoadBalancer by default) and is not in policy/allow-list.ts.`);
      }
    }),
    // Without an EnvoyProxy, Envoy Gateway gives each Gateway of the class a default LoadBalancer
    // Service that no EnvoyProxy (checked above) describes.
    [types.gatewayClass]: forType<GatewayClassProps>(types.gatewayClass, (props, _args, report) => {
      if (!envoyGatewayController.test(props.spec?.controllerName ?? "")) return;
      const ref = props.spec?.parametersRef;
      if (ref?.group !== "gateway.envoyproxy.io" || ref.kind !== "EnvoyProxy" || !ref.name) {
        report("an Envoy Gateway GatewayClass needs parametersRef to an EnvoyProxy: without one every Gateway gets a default LoadBalancer Service.");
      }
    }),
    [types.release]: forType<ReleaseArgs>(types.release, (props, _args, report) => {
      if (loadBalancerExceptions.some((entry) => "chart" in entry && entry.chart === props.chart)) return;
      for (const [path, value] of walk(props.values)) {
        if (value && typeof value === "object" && (value as { type?: unknown }).type === "LoadBalancer") {
          report(`chart ${props.chart}: values.${path.join(".")}.type is LoadBalancer; expose it through the ingress instead.`);
        }
      }
    }),
  }),
};

/** A chart from this repository (a path) needs no version: it is pinned by the commit. */
const isLocalChart = (chart: string) => /^(\.{1,2}\/|\/)/.test(chart);

export const chartVersionsPinned: ResourceValidationPolicy = {
  name: "chart-versions-pinned",
  description: "Every remote Helm chart is installed at an exact version (no ranges, no floating latest).",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== types.release && args.type !== types.chartV4) return args.notApplicable("not a Helm chart");
    const { chart, version } = args.props as { chart?: string; version?: string };
    if (!chart) return report("chart must be set.");
    if (isLocalChart(chart)) return;
    if (!version || !exactSemver.test(version)) {
      report(`chart ${chart}: version must be an exact semver like 1.2.3 (got ${JSON.stringify(version ?? null)}).`);
    }
  },
};

export const kubernetesPolicies: ResourceValidationPolicy[] = [
  workloadResources,
  noLatestImages,
  noHostAccess,
  noLoadBalancerServices,
  chartVersionsPinned,
];
