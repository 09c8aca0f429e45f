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

export const noLoadBalancerServices: ResourceValidationPolicy = {
  name: "no-loadbalancer-services",
  description: "Only the ingress controller gets a LoadBalancer Service; everything else is exposed through Ingress.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.service]: forType<ServiceArgs>(types.service, (props, args, report) => {
      if (props.spec?.type !== "LoadBalancer") return;
      const namespace = props.metadata?.namespace ?? "default";
      const name = props.metadata?.name ?? args.name;
      const allowed = loadBalancerExceptions.some(
        (entry) => "name" in entry && globMatch(entry.namespace, namespace) && globMatch(entry.name, name),
      );
      if (!allowed) report(`Service ${namespace}/${name} is of type LoadBalancer; expose it through the ingress instead.`);
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
