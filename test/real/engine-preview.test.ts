import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { synthStack } from "../support/synth";
import { startApiServer, type ApiServer } from "./support/apiserver";
import { startChartRepo, type ChartRepo } from "./support/chart-repo";
import { createWorkspace, findEngine, report, stackFile, type EngineRun, type StackWorkspace } from "./support/engine";
import { repoRoot } from "../../scripts/lib/stack-file";

/**
 * `pulumi preview` of the local and k3s-lab stacks with the real CLI, language host, providers and
 * policy pack (test/real/support/engine.ts), a file backend, and every chart fetched through the
 * chartMirror key from the pinned-chart repository on loopback. `local` adopts a real (empty) API
 * server; k3s-lab's cluster would be installed over SSH, so its kubeconfig is unknown in a preview.
 */
const policyPack = join(repoRoot, "policy");
const throwawaySshKey = () => generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();

describe.each(["local", "k3s-lab"])("real pulumi preview of %s", (stack) => {
  let repo: ChartRepo;
  let api: ApiServer | undefined;
  let workspace: StackWorkspace;
  let preview: EngineRun;
  beforeAll(async () => {
    const engine = findEngine();
    repo = await startChartRepo();
    workspace = createWorkspace(engine, stack, stackFile(stack, { chartMirror: repo.url }));
    if (stack === "local") {
      api = await startApiServer();
      workspace.setSecret("kubeconfig", api.kubeconfig);
    } else {
      workspace.setSecret("sshPrivateKey", throwawaySshKey());
    }
    preview = workspace.run(["preview", "--diff", "--policy-pack", policyPack]);
    report(`real preview of ${stack}: exit ${preview.status}, ${JSON.stringify(preview.changes)}, ${preview.seconds.toFixed(0)} s`);
  });
  afterAll(async () => {
    await api?.stop();
    await repo?.stop();
    workspace?.remove();
  });

  it("succeeds, with no warning or policy finding from the project's code or the policy pack", () => {
    expect(preview.status, preview.stderr.slice(-4000)).toBe(0);
    expect(preview.findings).toEqual([]);
  });

  it("ran the policy pack", () => {
    expect(preview.policyPacks).toContain("llm-platform");
  });

  it("would create exactly what the program registers under the mocks, plus the stack", async () => {
    const synth = await synthStack(stack, join(workspace.dir, `Pulumi.${stack}.yaml`), { fresh: true });
    expect(preview.changes).toEqual({ create: synth.resources.length + 1 });
  });

  it("takes every remote chart from the chart mirror", () => {
    const releases = preview.planned.filter((step) => step.type === "kubernetes:helm.sh/v3:Release");
    expect(releases.length).toBeGreaterThan(0);
    for (const release of releases) {
      const repository = (release.inputs.repositoryOpts as { repo?: string } | undefined)?.repo;
      if (repository !== undefined) expect(repository, release.urn).toBe(repo.url);
    }
  });
});
