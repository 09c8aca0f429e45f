import { beforeAll, describe, expect, it } from "vitest";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { charts } from "../components/versions";
import { errorsOf, validateStack } from "./support/config";
import { ofType, stackNames, synthStack } from "./support/synth";
import { synthVariant } from "./support/variant";

const mirror = "http://127.0.0.1:18181/llm-platform";
const releaseType = "kubernetes:helm.sh/v3:Release";

/** Remote charts have a repository or an OCI reference; the serving chart is a path in this repository. */
const isOci = (release: SynthResource) => String(release.inputs.chart).startsWith("oci://");
const remoteReleases = (result: SynthResult) =>
  ofType(result, releaseType).filter((release) => release.inputs.repositoryOpts !== undefined || isOci(release));
/** Where the chart comes from: the repository, or the registry path of an OCI reference. */
const repositoryOf = (release: SynthResource) =>
  isOci(release) ? String(release.inputs.chart).replace(/\/[^/]+$/, "") : (release.inputs.repositoryOpts as { repo?: string }).repo;
const chartName = (release: SynthResource) => String(release.inputs.chart).replace(/^oci:\/\/.*\//, "");
const pinnedRepository = (release: SynthResource) => Object.values(charts).find((pin) => pin.chart === chartName(release))?.repository;
const chartAndVersion = (releases: SynthResource[]) =>
  releases.map((release) => `${release.name} ${chartName(release)}@${String(release.inputs.version)}`);

describe.each(stackNames())("chart mirror, stack %s", (stack) => {
  let pinned: SynthResult;
  let mirrored: SynthResult;
  beforeAll(async () => {
    pinned = await synthStack(stack);
    mirrored = await synthVariant(stack, (config) => (config.chartMirror = mirror));
  });

  it("without chartMirror, every remote chart comes from its pinned upstream repository", () => {
    expect(remoteReleases(pinned).length).toBeGreaterThan(0);
    for (const release of remoteReleases(pinned)) expect(repositoryOf(release), release.name).toBe(pinnedRepository(release));
  });

  it("with chartMirror, every remote chart comes from the mirror, at the same chart and version", () => {
    expect(chartAndVersion(remoteReleases(mirrored))).toEqual(chartAndVersion(remoteReleases(pinned)));
    for (const release of remoteReleases(mirrored)) expect(repositoryOf(release), release.name).toBe(mirror);
  });

  it("leaves charts from this repository (a path) and every other input alone", () => {
    const remote = new Set(remoteReleases(pinned).map((release) => release.urn));
    const local = (result: SynthResult) => ofType(result, releaseType).filter((release) => !remote.has(release.urn));
    expect(local(mirrored)).toEqual(local(pinned));
    const withoutRepository = (result: SynthResult) =>
      result.resources.map((resource) => ({
        ...resource,
        inputs: { ...resource.inputs, repositoryOpts: undefined, ...(resource.type === releaseType ? { chart: chartName(resource) } : {}) },
      }));
    expect(withoutRepository(mirrored)).toEqual(withoutRepository(pinned));
  });
});

describe("the chartMirror key", () => {
  it("accepts an http or https Helm repository URL", () => {
    for (const url of ["https://charts.example.internal/llm-platform", "http://10.0.0.5:8080"]) {
      expect(errorsOf(validateStack("dev", [{ set: ["chartMirror"], to: url }]))).toEqual([]);
    }
  });

  it.each([
    ["oci://registry.example.internal/charts", /llm-platform:chartMirror/],
    ["charts.example.internal", /llm-platform:chartMirror/],
    // A token in the query is a credential in a plain value: the credentials rule names it, and the
    // URL rule still says what a mirror URL may be, without echoing the value.
    ["https://charts.example.internal/index.yaml?token=x", /llm-platform:chartMirror: .*credential in the URL's query/],
  ])("rejects %s, naming the key", (url, message) => {
    expect(errorsOf(validateStack("dev", [{ set: ["chartMirror"], to: url }]))).toContainEqual(expect.stringMatching(message));
  });
});
