import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { benchMain } from "../scripts/lib/bench-cli";
import { outDirProblem, prepareOutDir, synthMarker } from "../scripts/lib/out-dir";
import { synthMain } from "../scripts/lib/synth-cli";
import { runInProcess, type CommandRun } from "./support/cli";
import { importProgramAfresh, repoRoot } from "./support/synth";

const scratch = mkdtempSync(join(tmpdir(), "synth-cli-"));

/** `npm run synth -- ARGS` in this process (scripts/lib/synth-cli.ts, which scripts/synth.ts runs). */
const synth = (...args: string[]): Promise<CommandRun> => runInProcess((io) => synthMain(args, io, importProgramAfresh));

/** A script run as the user runs it, in a process of its own: the one check per command of its entry point. */
const spawnScript = (script: string, ...args: string[]): CommandRun =>
  spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts", script), ...args], { cwd: repoRoot, encoding: "utf8" });

describe("npm run synth -- --stack dev", () => {
  const out = join(scratch, "dev");
  let run: CommandRun;
  beforeAll(async () => {
    run = await synth("--stack", "dev", "--out", out);
  });

  it("exits 0 and prints resource counts per type and the graph depth", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/stack dev: \d+ resources, \d+ manifests, dependency depth \d+/);
    expect(run.stdout).toMatch(/^\s+\d+\s+kubernetes:core\/v1:Namespace$/m);
  });

  it("writes resources.json with exactly the contract's fields", () => {
    const resources = JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as Record<string, unknown>[];
    expect(resources.length).toBeGreaterThan(0);
    const urns = new Set(resources.map((r) => r.urn));
    for (const resource of resources) {
      expect(Object.keys(resource).sort()).toEqual(["custom", "dependsOn", "inputs", "name", "parent", "protect", "provider", "type", "urn"]);
      expect(resource.urn).toMatch(/^urn:pulumi:dev::llm-platform::/);
      expect(typeof resource.custom).toBe("boolean");
      expect(typeof resource.protect).toBe("boolean");
      expect(resource.parent === null || urns.has(resource.parent)).toBe(true);
      expect(resource.provider === null || urns.has(resource.provider)).toBe(true);
      for (const dependency of resource.dependsOn as string[]) expect(urns.has(dependency), dependency).toBe(true);
    }
  });

  it("writes outputs.json with secrets redacted", () => {
    const outputs = JSON.parse(readFileSync(join(out, "outputs.json"), "utf8")) as Record<string, unknown>;
    expect(outputs.kubeconfig).toBe("[secret]");
    expect(outputs.clusterName).toBe("llm-dev");
  });

  it("holds no secret in plaintext in any file it writes", () => {
    const files = ["resources.json", "outputs.json", ...readdirSync(join(out, "manifests")).map((f) => join("manifests", f))];
    for (const file of files) {
      const text = readFileSync(join(out, file), "utf8");
      expect(text, file).not.toMatch(/synth-placeholder-secret|mock-password-|mockbcrypthash/);
    }
  });

  it("writes one YAML manifest per Kubernetes object", () => {
    const files = readdirSync(join(out, "manifests"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const documents = parseAllDocuments(readFileSync(join(out, "manifests", file), "utf8"));
      expect(documents).toHaveLength(1);
      const object = documents[0]!.toJS() as { apiVersion: string; kind: string; metadata: { name: string } };
      expect(object.apiVersion).toBeTruthy();
      expect(object.kind).toBeTruthy();
      expect(object.metadata.name).toBeTruthy();
    }
  });
});

describe("synth of an invalid stack file", () => {
  const out = join(scratch, "broken");
  let run: CommandRun;
  beforeAll(async () => {
    const stack = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const cluster = stack.config["llm-platform:cluster"] as { gpuPools: Record<string, unknown>[] };
    cluster.gpuPools[0]!.maxSize = -2;
    stack.config["llm-platform:adons"] = { ingress: { enabled: false } };
    const file = join(scratch, "Pulumi.broken.yaml");
    writeFileSync(file, stringify(stack));
    run = await synth("--stack", "broken", "--config-file", file, "--out", out);
  });

  it("exits non-zero with one key-path message per problem", () => {
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("llm-platform:cluster.gpuPools[0].maxSize: got -2; must be >= 1");
    expect(run.stderr).toContain('llm-platform:adons: unknown key; did you mean "addons"?');
    expect(run.stderr).not.toMatch(/\bat .+\.ts:\d+/);
  });

  it("writes nothing", () => {
    expect(existsSync(out)).toBe(false);
  });
});

describe("npm run synth -- --stack local, run as its own process (scripts/synth.ts under tsx, as npm runs it)", () => {
  const out = join(scratch, "local-process");
  let run: CommandRun;
  beforeAll(() => {
    run = spawnScript("synth.ts", "--stack", "local", "--out", out);
  });

  it("exits 0 and prints the summary and nothing else: no warning from Node, the SDKs or the program on stderr", () => {
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^stack local: \d+ resources, \d+ manifests, dependency depth \d+/m);
    expect(run.stdout).toMatch(new RegExp(`^wrote ${out.replaceAll("/", "\\/")} in [\\d.]+ s \\(peak RSS \\d+ MB\\)$`, "m"));
  });

  it("writes the folder: resources, outputs with the kubeconfig redacted, and the manifests", () => {
    expect(JSON.parse(readFileSync(join(out, "outputs.json"), "utf8"))).toMatchObject({ kubeconfig: "[secret]" });
    expect((JSON.parse(readFileSync(join(out, "resources.json"), "utf8")) as unknown[]).length).toBeGreaterThan(0);
    expect(readdirSync(join(out, "manifests")).length).toBeGreaterThan(0);
  });
});

describe("synth of a stack whose program stops on what an invoke returned", () => {
  it("fails like the real engine, with the program's message, instead of leaving the resource (and all after it) out", async () => {
    // The mocked caller (role mock-deployer) is also an admin: the deployer's access entry refuses it.
    const stack = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, Record<string, unknown>> };
    stack.config["llm-platform:cluster"]!.adminRoleArns = ["arn:aws:iam::123456789012:role/mock-deployer"];
    // Just the cluster, so that the run is short.
    stack.config["llm-platform:models"] = [] as unknown as Record<string, unknown>;
    stack.config["llm-platform:addons"] = Object.fromEntries(
      ["ingress", "certManager", "argocd", "argoWorkflows", "monitoring", "logging"].map((addon) => [addon, addon === "argoWorkflows" ? { enabled: false, pipeline: false } : { enabled: false }]),
    );
    const file = join(scratch, "Pulumi.deployer-admin.yaml");
    writeFileSync(file, stringify(stack));
    const run = await synth("--stack", "dev", "--config-file", file, "--out", join(scratch, "deployer-admin"));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^ {2}- llm-platform:cluster\.adminRoleArns\[0\]: got "arn:aws:iam::123456789012:role\/mock-deployer"; that is the role running pulumi up/m);
    expect(run.stderr).not.toMatch(/error serializing property|\bat .+\.ts:\d+/);
    expect(existsSync(join(scratch, "deployer-admin"))).toBe(false);
  });
});

describe("npm run synth -- --stack prod --preview", () => {
  it("synthesizes as the preview of a new stack: computed values, so the kubeconfig, are unknown, and says so", async () => {
    const out = join(scratch, "prod-preview");
    const run = await synth("--stack", "prod", "--preview", "--out", out);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^stack prod \(preview of a new stack: values providers compute are \[unknown\]\): \d+ resources/m);
    const outputs = JSON.parse(readFileSync(join(out, "outputs.json"), "utf8")) as Record<string, unknown>;
    expect(outputs).toMatchObject({ kubeconfig: "[unknown]", bucketName: "[unknown]", clusterName: "llm-prod" });
  });

  it("writes to out/<stack>-preview by default, never over the normal output folder out/<stack>", () => {
    expect(readFileSync(join(repoRoot, "scripts", "lib", "synth-cli.ts"), "utf8")).toMatch(/values\.preview \? `\$\{stack\}-preview` : stack/);
  });
});

const gitCheckout = mkdtempSync(join(scratch, "checkout-"));
mkdirSync(join(gitCheckout, ".git", "objects"), { recursive: true });
const userCwd = mkdtempSync(join(scratch, "cwd-"));
writeFileSync(join(userCwd, "notes.txt"), "mine");

describe("synth only ever replaces a folder it wrote itself", () => {
  const userFolder = () => {
    const folder = mkdtempSync(join(scratch, "user-"));
    writeFileSync(join(folder, "thesis.tex"), "years of work");
    return folder;
  };

  it("refuses the repository (--out .) before running anything, and leaves it untouched", async () => {
    const before = readdirSync(repoRoot).sort();
    // "." as a user in the repository means it, whatever folder vitest runs in.
    const workerCwd = process.cwd();
    process.chdir(repoRoot);
    const run = await synth("--stack", "local", "--out", ".").finally(() => process.chdir(workerCwd));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^refusing to write to \.: it is the repository \(.*\); pass a new folder such as out\/<stack>$/m);
    expect(run.stderr).not.toMatch(/\bat .+\.ts:\d+/);
    expect(readdirSync(repoRoot).sort()).toEqual(before);
  });

  it.each([
    ["an ancestor of the repository", "..", repoRoot, /refusing to write to \.\.: it is an ancestor of the repository/],
    ["a .git folder", ".git", gitCheckout, /refusing to write to \.git: it is inside a \.git folder/],
    ["a folder inside .git", ".git/objects", gitCheckout, /it is inside a \.git folder/],
    ["the current folder", ".", userCwd, /refusing to write to \.: it is the current folder/],
    ["an ancestor of the current folder", "..", userCwd, /it is an ancestor of the current folder/],
    ["the home folder", homedir(), userCwd, /it is your home folder/],
    ["the filesystem root", "/", userCwd, /it is the filesystem root/],
  ])("refuses %s, whatever it holds", (_what, out, cwd, message) => {
    expect(outDirProblem(out, cwd)).toMatch(message);
  });

  it("refuses a folder of the user's files and keeps them", async () => {
    const folder = userFolder();
    const run = await synth("--stack", "local", "--out", folder);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/refusing to replace .*: it holds 1 entry and synth did not write it \(no \.llm-platform-synth file\)/);
    expect(readFileSync(join(folder, "thesis.tex"), "utf8")).toBe("years of work");
  });

  it("refuses a symbolic link to a folder", () => {
    const link = join(scratch, "link-to-user");
    symlinkSync(userFolder(), link);
    expect(outDirProblem(link)).toMatch(/is a symbolic link/);
  });

  it("writes a new or empty folder, marks it, and replaces it on the next run", () => {
    const out = join(scratch, "fresh");
    mkdirSync(out);
    expect(outDirProblem(out)).toBeUndefined();
    prepareOutDir(out);
    writeFileSync(join(out, "stale.json"), "{}");
    expect(outDirProblem(out)).toBeUndefined();
    prepareOutDir(out);
    expect(readdirSync(out)).toEqual([synthMarker]);
  });
});

describe("--help and bad options", () => {
  it("synth --help prints its usage and exits 0", async () => {
    const run = await synth("--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run synth -- --stack <name>/);
    expect(run.stderr).toBe("");
  });

  it("bench --help, run as its own process, prints its usage and exits 0", () => {
    const run = spawnScript("bench.ts", "--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run bench/);
    expect(run.stderr).toBe("");
  });

  it("synth with an unknown option prints the error and usage, no stack trace", async () => {
    const run = await synth("--bogus");
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: /);
    expect(run.stderr).not.toMatch(/\bat .+\.(ts|js):\d+/);
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'[\s\S]*usage: /],
    [["--runs", "five"], /--runs: got "five"; allowed: a whole number from 1 to 100/],
    [["--runs", "0"], /--runs: got "0"; allowed: a whole number from 1 to 100/],
    [["--runs", "2.5"], /--runs: got "2.5"; allowed/],
  ])("bench %j is refused with exit 2, before any run", async (args, message) => {
    const run = await runInProcess((io) => benchMain(args, io));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\bat .+\.(ts|js):\d+|bench: /);
    expect(run.stdout).toBe("");
  });

  it("bench reports progress on stderr before each run", () => {
    expect(readFileSync(join(repoRoot, "scripts/lib/bench-cli.ts"), "utf8")).toMatch(/io\.err\(`bench: \$\{stack\} run \$\{run \+ 1\}\/\$\{runs\}/);
  });
});
