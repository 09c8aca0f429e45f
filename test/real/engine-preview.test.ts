import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
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

/** An `ssh-keyscan -t ed25519` line for a fresh key: the key type, then the wire-format public key. */
function sshHostKey(): string {
  const raw = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "der" }).subarray(-32);
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(raw)]).toString("base64")}`;
}

/**
 * Pulumi.k3s-lab.yaml as its reader is told to fill it in: the example addresses, host keys and domain
 * replaced with real-looking ones (the committed ones make `pulumi up` refuse, as the last test shows).
 */
function k3sLabFilledIn(): Record<string, unknown> {
  const config = (parse(readFileSync(join(repoRoot, "Pulumi.k3s-lab.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> }).config;
  const cluster = config["llm-platform:cluster"]!;
  let host = 10;
  const fill = (hosts: Record<string, unknown>[]) => hosts.map((entry) => ({ ...entry, address: `10.20.0.${host++}`, hostKey: sshHostKey() }));
  return {
    domain: "llm.lab.corp.internal",
    cluster: { ...cluster, servers: fill(cluster.servers as Record<string, unknown>[]), agents: fill(cluster.agents as Record<string, unknown>[]) },
  };
}

describe.each(["local", "k3s-lab"])("real pulumi preview of %s", (stack) => {
  let repo: ChartRepo;
  let api: ApiServer | undefined;
  let workspace: StackWorkspace;
  let preview: EngineRun;
  beforeAll(async () => {
    const engine = findEngine();
    repo = await startChartRepo();
    const filledIn = stack === "k3s-lab" ? k3sLabFilledIn() : {};
    workspace = createWorkspace(engine, stack, stackFile(stack, { chartMirror: repo.url, ...filledIn }));
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
    // The engine names a local pack "<name>|local|<path>".
    expect(preview.policyPacks).toEqual([`llm-platform|local|${policyPack}`]);
  });

  it("would create exactly what the program registers under the mocks, plus the stack", async () => {
    const synth = await synthStack(stack, join(workspace.dir, `Pulumi.${stack}.yaml`), { fresh: true });
    // The private CA's read is skipped in a preview (what it depends on does not exist yet) and not counted.
    expect(synth.reads.length).toBeGreaterThan(0);
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

describe("the committed Pulumi.k3s-lab.yaml, example values and all, with the real engine", () => {
  let repo: ChartRepo;
  let workspace: StackWorkspace;
  beforeAll(async () => {
    repo = await startChartRepo();
    workspace = createWorkspace(findEngine(), "k3s-lab", stackFile("k3s-lab", { chartMirror: repo.url }));
    workspace.setSecret("sshPrivateKey", throwawaySshKey());
  });
  afterAll(async () => {
    await repo?.stop();
    workspace?.remove();
  });

  it("previews with one warning naming every example value, and up refuses before creating anything", () => {
    const preview = workspace.run(["preview"]);
    expect(preview.status, preview.stderr.slice(-4000)).toBe(0);
    const warning = preview.findings.find((finding) => finding.includes("example values are replaced"))!;
    for (const key of ["llm-platform:domain", "cluster.servers[0].address", "cluster.servers[2].hostKey", "cluster.agents[1].address"]) expect(warning).toContain(key);
    const up = workspace.run(["up", "--yes", "--skip-preview"]);
    report(`up of the committed k3s-lab: exit ${up.status}, ${JSON.stringify(up.changes)}`);
    expect(up.status).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/cluster\.servers\[0\]\.address: 192\.0\.2\.11 is an example value/);
    // Only the stack itself, which the engine creates before the program runs.
    expect(up.planned.map((step) => step.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
