import { beforeAll, describe, expect, it } from "vitest";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { charts } from "../components/versions";
import { errorsOf, validateStack } from "./support/config";
import { ofType, stackNames, synthStack } from "./support/synth";
import { synthVariant } from "./support/variant";

const mirror = "http://127.0.0.1:18181/llm-platform";
const releaseType = "kubernetes:helm.sh/v3:Release";

/** Remote charts have a repository; the serving chart is a path in this repository. */
const remoteReleases = (result: SynthResult) => ofType(result, releaseType).filter((release) => release.inputs.repositoryOpts !== undefined);
const repositoryOf = (release: SynthResource) => (release.inputs.repositoryOpts as { repo?: string }).repo;
const pinnedRepository = (chart: unknown) => Object.values(charts).find((pin) => pin.chart === chart)?.repository;
const chartAndVersion = (releases: SynthResource[]) =>
  releases.map((release) => `${release.name} ${String(release.inputs.chart)}@${String(release.inputs.version)}`);

describe.each(stackNames())("chart mirror, stack %s", (stack) => {
  let pinned: SynthResult;
  let mirrored: SynthResult;
  beforeAll(async () => {
    pinned = await synthStack(stack);
    mirrored = await synthVariant(stack, (config) => (config.chartMirror = mirror));
  });

  it("without chartMirror, every remote chart comes from its pinned upstream repository", () => {
    expect(remoteReleases(pinned).length).toBeGreaterThan(0);
    for (const release of remoteReleases(pinned)) expect(repositoryOf(release), release.name).toBe(pinnedRepository(release.inputs.chart));
  });

  it("with chartMirror, every remote chart comes from the mirror, at the same chart and version", () => {
    expect(chartAndVersion(remoteReleases(mirrored))).toEqual(chartAndVersion(remoteReleases(pinned)));
    for (const release of remoteReleases(mirrored)) expect(repositoryOf(release), release.name).toBe(mirror);
  });

  it("leaves charts from this repository (a path) and every other input alone", () => {
    const local = (result: SynthResult) => ofType(result, releaseType).filter((release) => release.inputs.repositoryOpts === undefined);
    expect(local(mirrored)).toEqual(local(pinned));
    const withoutRepository = (result: SynthResult) =>
      result.resources.map((resource) => ({ ...resource, inputs: { ...resource.inputs, repositoryOpts: undefined } }));
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
