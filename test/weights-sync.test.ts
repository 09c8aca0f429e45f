import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { instanceStoreWriteMiBps } from "../components/cloud-catalog";
import { coldStartFigures, hubSyncPlan } from "../components/serving/cold-start";
import { manifestsOf } from "../scripts/lib/manifests";
import type { SynthResult } from "../scripts/lib/synthesize";
import { ofType, synthStack } from "./support/synth";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const jobType = "kubernetes:batch/v1:Job";
let prod: SynthResult;
let dev: SynthResult;
let job: Obj;
beforeAll(async () => {
  [prod, dev] = [await synthStack("prod"), await synthStack("dev")];
  job = manifestsOf(ofType(prod, jobType)).map((m) => m.object as Obj).find((o) => o.metadata.name === "llama-70b-weights-sync")!;
});

const container = (name: string): Obj =>
  [...job.spec.template.spec.initContainers, ...job.spec.template.spec.containers].find((c: Obj) => c.name === name);
const env = (c: Obj, name: string): Obj => (c.env as Obj[]).find((e) => e.name === name)!;
const metadataName = (resource: { inputs: Obj }) => resource.inputs.metadata?.name as string | undefined;

describe("prod's 70B model is copied from the Hub into the bucket once, before its release", () => {
  it("copies the model id to the prefix the release streams from, and the release waits for it", () => {
    expect(env(container("download"), "MODEL").value).toBe("meta-llama/Llama-3.3-70B-Instruct");
    expect(env(container("upload"), "DESTINATION").value).toMatch(/^s3:\/\/[^/]+\/models\/meta-llama\/Llama-3\.3-70B-Instruct$/);
    const jobResource = ofType(prod, jobType).find((r) => metadataName(r) === "llama-70b-weights-sync")!;
    const release = ofType(prod, "kubernetes:helm.sh/v3:Release").find((r) => r.name.endsWith("-llama-70b"))!;
    expect(release.dependsOn).toContain(jobResource.urn);
  });

  it("runs on the model's GPU pool without taking a GPU, with room on the node's disk for the download", () => {
    const pod = job.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ "llm-platform.io/gpu-pool": "l40s" });
    expect(JSON.stringify(pod)).not.toContain("nvidia.com/gpu\":");
    const volume = pod.volumes.find((v: Obj) => v.name === "work");
    expect(parseInt(volume.emptyDir.sizeLimit)).toBeGreaterThan(132);
  });

  it("writes to the bucket with its own IRSA role, which may put objects; the serving role stays read-only", () => {
    const account = manifestsOf(ofType(prod, "kubernetes:core/v1:ServiceAccount")).map((m) => m.object as Obj).find((o) => o.metadata.name === "llama-70b-weights-sync")!;
    expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).toBeDefined();
    const policies = ofType(prod, "aws:iam/rolePolicy:RolePolicy");
    expect(JSON.stringify(policies.find((r) => r.name.includes("llama-70b-sync-identity"))!.inputs.policy)).toMatch(/s3:PutObject/);
    expect(JSON.stringify(policies.find((r) => r.name.endsWith("llama-70b-identity-policy"))!.inputs.policy)).not.toMatch(/s3:PutObject/);
  });

  it("sizes the Job's deadline from the weights and the node's disk, at least an hour, and replaces a failed Job on the next up", () => {
    const plan = hubSyncPlan(132, instanceStoreWriteMiBps);
    expect(job.spec.activeDeadlineSeconds).toBe(plan.budgetSeconds);
    // 132 GiB at the Hub's 200 MiB/s (the NVMe instance store keeps up), then up at 400 MiB/s.
    expect(Math.round(plan.downloadSeconds)).toBe(Math.round((132 * 1024) / coldStartFigures.hubDownloadMiBps.value));
    expect(plan.budgetSeconds).toBeGreaterThanOrEqual(2 * (plan.downloadSeconds + plan.uploadSeconds));
    expect(plan.budgetSeconds).toBeGreaterThanOrEqual(3600);
    // On a 125 MiB/s root volume both the download and the upload (which reads it back) slow down.
    expect(hubSyncPlan(132, 125).uploadSeconds).toBeCloseTo((132 * 1024) / 125);
    expect(job.metadata.annotations["pulumi.com/replaceUnready"]).toBe("true");
  });

  it("downloads only what vLLM reads, with the Xet client's memory inside its limit and no GPU in sight", () => {
    const download = container("download");
    const script = download.command[2] as string;
    expect(script).toMatch(/ignore_patterns=\["original\/\*", "consolidated\*"\]/);
    expect(script).toMatch(/max_workers=4/);
    expect(env(download, "NVIDIA_VISIBLE_DEVICES").value).toBe("void");
    expect(env(download, "HF_XET_CHUNK_CACHE_SIZE_BYTES").value).toBe("0");
    expect(download.resources.limits.memory).toBe("8Gi");
  });

  it("creates no sync where no model reads the bucket", () => {
    expect(ofType(dev, jobType).filter((r) => String(metadataName(r)).endsWith("-weights-sync"))).toEqual([]);
  });
});

describe("the sync's scripts, run with a stand-in rclone", () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a container's script with /work moved to a temporary folder and rclone answering `listing` with `exit`. */
  function run(name: "check" | "upload", listing: string, exit = 0, present = false) {
    dir = mkdtempSync(join(tmpdir(), "weights-sync-"));
    mkdirSync(join(dir, "bin"));
    mkdirSync(join(dir, "work", "model"), { recursive: true });
    if (present) writeFileSync(join(dir, "work", "present"), "");
    writeFileSync(join(dir, "work", "model", "config.json"), "{}");
    writeFileSync(join(dir, "bin", "rclone"), `#!/bin/sh\necho "$*" >> ${dir}/calls\nprintf '%s' '${listing}'\nexit ${exit}\n`);
    chmodSync(join(dir, "bin", "rclone"), 0o755);
    const c = container(name);
    const script = (c.command[2] as string).replaceAll("/work", join(dir, "work"));
    const vars = Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value]));
    const result = spawnSync("/bin/sh", ["-c", script], { env: { ...vars, PATH: `${dir}/bin:/usr/bin:/bin` }, encoding: "utf8" });
    const calls = existsSync(join(dir, "calls")) ? execFileSync("cat", [join(dir, "calls")], { encoding: "utf8" }).trim().split("\n") : [];
    return { ...result, present: existsSync(join(dir, "work", "present")), calls };
  }

  it("takes config.json with safetensors as already copied", () => {
    expect(run("check", "config.json\nmodel-00001-of-00030.safetensors\n").present).toBe(true);
  });

  it("copies again when the prefix is missing or a copy stopped before config.json", () => {
    expect(run("check", "", 3)).toMatchObject({ status: 0, present: false });
    expect(run("check", "model-00001-of-00030.safetensors\n")).toMatchObject({ status: 0, present: false });
  });

  it("fails with the service account's name when the bucket cannot be listed", () => {
    const result = run("check", "", 1);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/cannot list s3:\/\/.*rclone exit 1.*service account llama-70b-weights-sync/);
  });

  it("uploads config.json last, and nothing when the weights were found", () => {
    const calls = run("upload", "").calls;
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatch(/^copy .*--exclude \/config\.json/);
    expect(calls[1]).toMatch(/^copyto .*config\.json .*\/config\.json$/);
    expect(run("upload", "", 0, true).calls).toEqual([]);
  });
});
