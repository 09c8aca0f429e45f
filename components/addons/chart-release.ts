import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ChartPin } from "../versions";

export interface ChartReleaseArgs {
  readonly namespace: pulumi.Input<string>;
  readonly values: pulumi.Input<Record<string, unknown>>;
  /** Seconds Helm waits for the release's resources to become ready. @default 600 */
  readonly timeoutSeconds?: number;
}

const isOci = (pin: ChartPin) => pin.repository.startsWith("oci://");

/**
 * A Helm release of a pinned upstream chart. Every add-on installs its chart through this, so that
 * the repository and version always come from components/versions.ts and never float.
 */
export function chartRelease(
  name: string,
  pin: ChartPin,
  args: ChartReleaseArgs,
  opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): k8s.helm.v3.Release {
  // Helm reads an OCI chart from its full reference; `--repo` only takes an HTTP(S) index.
  const source = isOci(pin) ? { chart: `${pin.repository}/${pin.chart}` } : { chart: pin.chart, repositoryOpts: { repo: pin.repository } };
  return new k8s.helm.v3.Release(
    name,
    {
      name,
      ...source,
      version: pin.version,
      namespace: args.namespace,
      values: args.values,
      // Roll back a failed upgrade instead of leaving a half-applied release behind.
      atomic: true,
      cleanupOnFail: true,
      timeout: args.timeoutSeconds ?? 600,
    },
    opts,
  );
}

const releaseType = "kubernetes:helm.sh/v3:Release";

/**
 * Fetches every remote chart of a component tree from `mirror` (a Helm repository that serves all
 * pinned charts, for clusters that cannot reach the upstream repositories) instead of the pin's
 * repository or OCI registry. Chart name and version stay pinned; charts from this repository (a path)
 * are left alone.
 * A transformation on the options every add-on is created with (stacks/platform.ts), so that an add-on
 * added later is covered without being told about the mirror.
 */
export function chartMirrorTransformation(mirror: string): pulumi.ResourceTransformation {
  return ({ type, props, opts }) => {
    if (type !== releaseType) return undefined;
    const repositoryOpts = props.repositoryOpts as k8s.types.input.helm.v3.RepositoryOpts | undefined;
    if (repositoryOpts?.repo) return { props: { ...props, repositoryOpts: { ...repositoryOpts, repo: mirror } }, opts };
    // An OCI chart: the mirror serves it by its name, like every other pinned chart.
    const chart = props.chart as string;
    if (!chart.startsWith("oci://")) return undefined;
    return { props: { ...props, chart: chart.slice(chart.lastIndexOf("/") + 1), repositoryOpts: { repo: mirror } }, opts };
  };
}

/**
 * A pinned chart in a namespace of its own: `${name}-ns` (created first, with `labels`) and
 * `${name}-release` in it. Most add-ons are exactly this.
 */
export function chartReleaseInNamespace(
  name: string,
  pin: ChartPin,
  args: Omit<ChartReleaseArgs, "namespace"> & { readonly namespace: string; readonly labels?: Record<string, string> },
  opts: pulumi.CustomResourceOptions & { provider: k8s.Provider },
): { namespace: k8s.core.v1.Namespace; release: k8s.helm.v3.Release } {
  const namespace = new k8s.core.v1.Namespace(
    `${name}-ns`,
    { metadata: { name: args.namespace, ...(args.labels ? { labels: args.labels } : {}) } },
    { parent: opts.parent, provider: opts.provider },
  );
  const release = chartRelease(`${name}-release`, pin, { ...args, namespace: namespace.metadata.name }, opts);
  return { namespace, release };
}
