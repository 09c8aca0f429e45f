import { manifestsOf } from "../../../scripts/lib/manifests";
import type { SynthResource } from "../../../scripts/lib/synthesize";
import { applyForReal, clusterScopedKinds, dryRunApply, groupKind, installCrds, type DryRunResult, type SourcedObject } from "./dry-run";
import { crdApiVersions, helmReleaseType, isCrd, remoteReleases, type ChartRenderer, type KubeObject } from "./render";

/** Every object of one stack, with the remote charts rendered for real. */
export interface StackRender {
  /** Each remote release and how many objects it rendered. */
  readonly charts: { release: string; chart: string; version: string; objects: number }[];
  /** Values keys a chart does not know, schema violations and failing templates. */
  readonly problems: string[];
  /** CRDs the charts ship (installed before anything else). */
  readonly crds: KubeObject[];
  /** Everything else: direct resources, the local serving chart and the remote charts' objects. */
  readonly objects: SourcedObject[];
  /** Namespaces Helm creates for a release (`createNamespace`). */
  readonly releaseNamespaces: string[];
}

/**
 * Renders every remote release of a stack with the values the program computed. Charts whose output
 * depends on the cluster's APIs are rendered again with the CRDs of the whole stack known, as they
 * would be on a cluster where the CRD releases went first.
 */
export function renderStack(resources: readonly SynthResource[], renderer: ChartRenderer): StackRender {
  const releases = remoteReleases(resources);
  const problems: string[] = [];
  const rendered = new Map<string, KubeObject[]>();
  for (const release of releases) {
    problems.push(...renderer.unknownKeys(release));
    try {
      rendered.set(release.name, renderer.render(release));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const crdsByName = new Map<string, KubeObject>();
  for (const objects of rendered.values()) for (const crd of objects.filter(isCrd)) crdsByName.set(crd.metadata!.name!, crd);
  const apiVersions = crdApiVersions([...crdsByName.values()]);
  for (const release of releases) {
    if (rendered.has(release.name) && renderer.readsCapabilities(release)) rendered.set(release.name, renderer.render(release, apiVersions));
  }

  const objects: SourcedObject[] = manifestsOf(resources).map(({ source, object }) => ({ source, object: object as KubeObject }));
  for (const release of releases) {
    for (const object of rendered.get(release.name) ?? []) {
      if (isCrd(object)) continue;
      objects.push({ source: `release ${release.name} (${release.chart} ${release.version})`, object: inNamespace(object, release.namespace) });
    }
  }
  const releaseNamespaces = resources
    .filter((resource) => resource.type === helmReleaseType && resource.inputs.createNamespace === true)
    .map((resource) => String(resource.inputs.namespace));
  return {
    charts: releases.map((release) => ({ release: release.name, chart: release.chart, version: release.version, objects: rendered.get(release.name)?.length ?? 0 })),
    problems,
    crds: [...crdsByName.values()],
    objects,
    releaseNamespaces,
  };
}

/** Helm puts a chart's objects without a namespace into the release's (cluster-scoped ones are fixed later). */
function inNamespace(object: KubeObject, namespace: string): KubeObject {
  if (object.metadata?.namespace) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

const systemNamespaces = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export interface ServerCheck extends DryRunResult {
  /** Objects in a namespace the stack neither creates nor gets from Kubernetes. */
  readonly missingNamespaces: string[];
}

/**
 * Installs the stack's CRDs and creates its namespaces for real, then sends every object as a
 * server-side apply dry-run.
 */
export function checkOnServer(kubeconfigPath: string, render: StackRender): ServerCheck {
  installCrds(kubeconfigPath, render.crds);
  const clusterScoped = clusterScopedKinds(kubeconfigPath);
  const objects = render.objects.map(({ source, object }): SourcedObject => {
    if (!clusterScoped.has(groupKind(object))) return { source, object: inNamespace(object, "default") };
    // Helm leaves a namespace on some cluster-scoped objects; the API server would ignore it.
    const metadata = { ...object.metadata };
    delete metadata.namespace;
    return { source, object: { ...object, metadata } };
  });

  const declared = new Set(objects.filter(({ object }) => object.kind === "Namespace" && object.apiVersion === "v1").map(({ object }) => object.metadata!.name!));
  const available = new Set([...declared, ...render.releaseNamespaces, ...systemNamespaces]);
  const missingNamespaces = objects
    .filter(({ object }) => object.metadata?.namespace && !available.has(object.metadata.namespace))
    .map(({ source, object }) => `${source}: ${object.kind} ${object.metadata!.name} is in namespace ${object.metadata!.namespace}, which nothing creates`);

  // Namespaces exist for real, so that a dry-run of what goes into them is not refused for that alone.
  applyForReal(kubeconfigPath, [
    ...objects.filter(({ object }) => object.kind === "Namespace" && object.apiVersion === "v1").map(({ object }) => object),
    ...render.releaseNamespaces.filter((name) => !declared.has(name)).map((name) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } })),
  ]);
  return { ...dryRunApply(kubeconfigPath, objects), missingNamespaces };
}
