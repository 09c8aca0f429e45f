import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { requireTool } from "../scripts/lib/tools";
import { repoRoot, stackNames } from "./support/synth";

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  uses?: string;
  if?: string;
  "runs-on"?: string;
  with?: Record<string, unknown>;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  strategy?: { matrix: Record<string, unknown[]> };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const dir = join(repoRoot, ".github", "workflows");
const files = readdirSync(dir).filter((file) => /\.ya?ml$/.test(file));
const texts = Object.fromEntries(files.map((file) => [file, readFileSync(join(dir, file), "utf8")]));
const workflows = Object.fromEntries(files.map((file) => [file, parse(texts[file]!) as Workflow]));
const stepsOf = (file: string) => Object.values(workflows[file]!.jobs).flatMap((job) => job.steps ?? []);
const pulumiSteps = (file: string) => stepsOf(file).filter((step) => step.uses?.startsWith("pulumi/actions@"));

describe("GitHub workflows", () => {
  it("pass actionlint", () => {
    // shellcheck is left out so that the result does not depend on what else the machine has installed.
    const run = () => execFileSync(requireTool("actionlint"), ["-no-color", "-oneline", "-shellcheck="], { cwd: repoRoot, encoding: "utf8" });
    let findings = "";
    try {
      run();
    } catch (error) {
      findings = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(findings).toBe("");
  });

  it("pin every action to a full commit SHA, with the version it is in a comment", () => {
    let actions = 0;
    for (const [file, text] of Object.entries(texts)) {
      for (const [, action, ref, comment] of text.matchAll(/uses:\s*([\w.-]+\/[\w./-]+)@(\S+)(.*)/g)) {
        actions++;
        expect(ref, `${file}: ${action}`).toMatch(/^[0-9a-f]{40}$/);
        expect(comment, `${file}: ${action}`).toMatch(/# v\d+\.\d+\.\d+$/);
      }
    }
    expect(actions).toBeGreaterThanOrEqual(10);
  });

  it("hold no long-lived credentials: no repository secrets, OIDC tokens only where Pulumi runs", () => {
    for (const [file, text] of Object.entries(texts)) {
      expect(text, file).not.toMatch(/secrets\.|AWS_ACCESS_KEY_ID|GOOGLE_CREDENTIALS|PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE/);
      for (const [name, job] of Object.entries(workflows[file]!.jobs)) {
        const runsPulumi = (job.steps ?? []).some((step) => step.uses?.startsWith("pulumi/"));
        const callsUp = job.uses === "./.github/workflows/pulumi-up.yml";
        if (runsPulumi || callsUp) expect(job.permissions?.["id-token"], `${file} ${name}`).toBe("write");
        else expect(job.permissions?.["id-token"], `${file} ${name}`).toBeUndefined();
      }
      expect(workflows[file]!.permissions, file).toEqual({ contents: "read" });
    }
  });

  it("run the checks (npm test) before any preview or deploy", () => {
    expect(stepsOf("checks.yml").map((step) => step.run)).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm test"]));
    expect(stepsOf("checks.yml").find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toMatchObject({
      "node-version-file": ".nvmrc",
      cache: "npm",
    });
    for (const file of ["pull-request.yml", "deploy.yml"]) {
      expect(workflows[file]!.jobs.checks?.uses, file).toBe("./.github/workflows/checks.yml");
    }
    expect(workflows["pull-request.yml"]!.jobs.preview?.needs).toBe("checks");
    expect(workflows["deploy.yml"]!.jobs.dev?.needs).toBe("checks");
  });

  it("preview dev on pull requests, with the policy pack and the diff on the PR", () => {
    const preview = workflows["pull-request.yml"]!.jobs.preview!;
    const matrixStacks = preview.strategy!.matrix.stack as string[];
    expect(matrixStacks).toEqual(["dev"]);
    for (const stack of matrixStacks) expect(stackNames()).toContain(stack);
    expect(pulumiSteps("pull-request.yml")).toEqual([
      expect.objectContaining({ with: expect.objectContaining({ command: "preview", "comment-on-pr": true, policyPacks: "policy" }) }),
    ]);
  });

  const authSteps = (file: string) => stepsOf(file).filter((step) => step.uses?.startsWith("pulumi/auth-actions@"));

  it("never hand a pull request prod's credentials or a token that can update: previews get the preview team, in the preview environment", () => {
    const preview = workflows["pull-request.yml"]!.jobs.preview!;
    expect(JSON.stringify(preview.strategy)).not.toContain("prod");
    // GitHub puts the environment in the OIDC subject; Pulumi Cloud's issuer policy maps it to a team.
    expect(preview.environment).toBe("preview");
    expect(authSteps("pull-request.yml").map((step) => step.with)).toEqual([
      expect.objectContaining({ "requested-token-type": "urn:pulumi:token-type:access_token:team", scope: "team:${{ vars.PULUMI_PREVIEW_TEAM }}" }),
    ]);
    // No workflow asks for an organization token, which could update and open every stack.
    for (const [file, text] of Object.entries(texts)) expect(text, file).not.toContain("access_token:organization");
  });

  describe("the preview's cloud credentials", () => {
    const steps = () => workflows["pull-request.yml"]!.jobs.preview!.steps!;
    const swap = () => steps().find((step) => step.name === "Use the stack's read-only preview ESC environment")!;
    /** Runs the swap step as GitHub does (bash -e) on a copy of a stack file; returns the file and the exit. */
    function runSwap(stack: string, edit: (text: string) => string = (text) => text): { ok: boolean; file: Record<string, unknown> } {
      const script = swap().run!;
      const scratch = mkdtempSync(join(tmpdir(), "preview-env-"));
      try {
        const file = join(scratch, `Pulumi.${stack}.yaml`);
        copyFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), file);
        writeFileSync(file, edit(readFileSync(file, "utf8")));
        let ok = true;
        try {
          execFileSync("bash", ["-e", "-c", script], { cwd: scratch, env: { PATH: process.env.PATH, STACK: stack }, stdio: "pipe" });
        } catch {
          ok = false;
        }
        return { ok, file: parse(readFileSync(file, "utf8")) as Record<string, unknown> };
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }

    it("open the stack's read-only <stack>-preview ESC environment, never the deploy one, before Pulumi runs", () => {
      expect(swap().env).toEqual({ STACK: "${{ matrix.stack }}" });
      const order = steps().map((step) => step.name ?? step.uses ?? step.run);
      expect(order.indexOf(swap().name)).toBeLessThan(order.findIndex((entry) => entry?.startsWith("pulumi/actions@")));
      for (const stack of workflows["pull-request.yml"]!.jobs.preview!.strategy!.matrix.stack as string[]) {
        const original = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as Record<string, unknown>;
        const { ok, file } = runSwap(stack);
        expect(ok).toBe(true);
        expect(file.environment).toEqual([`llm-platform/${stack}-preview`]);
        // Only the import changes: the preview shows the diff of the stack's real config.
        expect(file.config).toEqual(original.config);
      }
    });

    it("fail the preview when the stack file imports anything else, which could hand PR code another role", () => {
      expect(runSwap("dev", (text) => text.replace("  - llm-platform/dev\n", "  - llm-platform/dev\n  - llm-platform/shared\n")).ok).toBe(false);
      expect(runSwap("dev", (text) => text.replace("  - llm-platform/dev\n", "  - llm-platform/prod\n")).ok).toBe(false);
    });

    it("explain the preview environment's read-only roles and their exact trust conditions in the CI/CD page", () => {
      const readme = readFileSync(join(repoRoot, "docs", "ci-cd.md"), "utf8");
      const ci = readme.slice(readme.indexOf("**Trust model: who gets which credentials.**"), readme.indexOf("## Policies: what every stack promises"));
      expect(ci).toContain("`llm-platform/dev-preview`");
      expect(ci).toMatch(/\| `\.\.\.:environment:preview` \|[^\n]*ESC: open `llm-platform\/dev-preview` only/);
      // The exact trust conditions: AWS role trust policy and GCP provider condition on the preview environment.
      expect(ci).toContain('"api.pulumi.com/oidc:sub"');
      expect(ci).toMatch(/attribute-condition='assertion\.sub == "pulumi:environments:pulumi\.organization\.login:<pulumi-org>:currentEnvironment\.name:llm-platform\/[\w-]+-preview"'/);
      // View-only: ReadOnlyAccess would let PR code read every S3 object (weights, datasets) and SSM value.
      expect(ci).toContain("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess");
      expect(ci).not.toMatch(/permissions\s+`arn:aws:iam::aws:policy\/ReadOnlyAccess`/);
    });
  });

  it("issue deploy tokens only on main, inside the dev or production environment, for that environment's team", () => {
    const up = workflows["pulumi-up.yml"]!.jobs.up!;
    expect(up.if).toBe("github.ref == 'refs/heads/main'");
    expect(authSteps("pulumi-up.yml").map((step) => step.with)).toEqual([
      expect.objectContaining({ "requested-token-type": "urn:pulumi:token-type:access_token:team", scope: "team:${{ vars.PULUMI_DEPLOY_TEAM }}" }),
    ]);
    const deploy = workflows["deploy.yml"]!;
    expect(Object.values(deploy.jobs).flatMap((job) => (job.with?.environment ? [job.with.environment] : []))).toEqual(["dev", "production"]);
    expect(workflows["pull-request.yml"]!.on).toEqual({ pull_request: { branches: ["main"] } });
  });

  it("tell the reader to restrict every deploy environment to main, since a pull request runs its own copy of the workflows", () => {
    const readme = readFileSync(join(repoRoot, "docs", "ci-cd.md"), "utf8");
    const setup = /^To set up a repository:[\s\S]*?\n\n/m.exec(readme)![0].replace(/\s+/g, " ");
    const deployEnvironments = Object.values(workflows["deploy.yml"]!.jobs).flatMap((job) => (job.with?.environment ? [String(job.with.environment)] : []));
    for (const environment of deployEnvironments) expect(setup, environment).toMatch(new RegExp(`\`${environment}\`: [^)]*\`main\` only`));
  });

  it("run dev's jobs where dev's API can be reached: the DEV_RUNNER variable, as prod's PROD_RUNNER", () => {
    const dev = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, { publicAccessCidrs?: string[] }> };
    // dev's API allows only listed CIDRs, so a hosted runner (any Azure address) cannot reach it.
    expect(dev.config["llm-platform:cluster"]!.publicAccessCidrs).not.toContain("0.0.0.0/0");
    expect(workflows["deploy.yml"]!.jobs.dev?.with?.runner).toBe("${{ vars.DEV_RUNNER || 'ubuntu-24.04' }}");
    expect(workflows["pull-request.yml"]!.jobs.preview?.["runs-on"]).toBe("${{ vars.DEV_RUNNER || 'ubuntu-24.04' }}");
    expect(workflows["deploy.yml"]!.jobs.prod?.with?.runner).toBe("${{ vars.PROD_RUNNER || 'ubuntu-24.04' }}");
  });

  it("deploy dev automatically, then prod behind the production environment, each stack one update at a time", () => {
    const deploy = workflows["deploy.yml"]!;
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(deploy.jobs.dev?.with).toMatchObject({ stack: "dev", environment: "dev" });
    expect(deploy.jobs.prod?.with).toMatchObject({ stack: "prod", environment: "production", "require-head-of-main": true });
    expect(deploy.jobs.prod?.needs).toBe("dev");

    const up = workflows["pulumi-up.yml"]!.jobs.up!;
    expect(up.environment).toBe("${{ inputs.environment }}");
    expect(up.concurrency).toEqual({ group: "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": false });
    expect(pulumiSteps("pulumi-up.yml")).toEqual([
      expect.objectContaining({ with: expect.objectContaining({ command: "up", policyPacks: "policy" }) }),
    ]);
  });

  it("install the Pulumi CLI at the version of the @pulumi/pulumi SDK", () => {
    const sdk = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies;
    expect(readFileSync(join(repoRoot, ".pulumi-version"), "utf8").trim()).toBe(sdk["@pulumi/pulumi"]);
    for (const file of ["pull-request.yml", "pulumi-up.yml"]) {
      for (const step of pulumiSteps(file)) expect(step.with?.["pulumi-version-file"], file).toBe(".pulumi-version");
    }
  });

  it("give the CI-managed stacks their credentials through a Pulumi ESC environment", () => {
    const stacks = Object.values(workflows["deploy.yml"]!.jobs).flatMap((job) => (job.with?.stack ? [String(job.with.stack)] : []));
    expect(stacks).toEqual(["dev", "prod"]);
    for (const stack of stacks) {
      const file = parse(readFileSync(join(repoRoot, `Pulumi.${stack}.yaml`), "utf8")) as { environment?: string[] };
      expect(file.environment, stack).toEqual([`llm-platform/${stack}`]);
    }
  });
});
