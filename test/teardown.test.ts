import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { teardownScript } from "../components/cluster/teardown";

/** Runs the destroy-time script with a stub kubectl (and sleep) that answers like a cluster with one load balancer and one volume. */
function runTeardown(withKubectl = true, kubeconfig = "apiVersion: v1 # test") {
  const dir = mkdtempSync(join(tmpdir(), "teardown-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub("sleep", "exit 0");
  // Only the tools the script may use: a kubectl installed on this machine must never answer.
  for (const tool of ["mktemp", "rm", "date", "cat", "touch"]) {
    const found = ["/usr/bin", "/bin"].map((prefix) => join(prefix, tool)).find((path) => existsSync(path));
    if (found) symlinkSync(found, join(bin, tool));
  }
  if (withKubectl) {
    stub("kubectl", [
      'printf "%s\\n" "KUBECONFIG=$(cat "$KUBECONFIG") $*" >> "$SANDBOX/calls"',
      'case "$*" in',
      '  "get services"*) printf "ingress ingress-nginx-controller\\n" ;;',
      // The Delete-policy volume disappears on the second look, as the CSI driver deletes its disk.
      '  "get persistentvolumes"*"!="*) printf "pv-kept " ;;',
      '  "get persistentvolumes"*) if [ -e "$SANDBOX/looked" ]; then :; else touch "$SANDBOX/looked"; printf "pv-1 "; fi ;;',
      "esac",
    ].join("\n"));
  }
  const run = spawnSync("/bin/sh", ["-c", teardownScript()], {
    encoding: "utf8",
    env: { PATH: bin, SANDBOX: dir, LLM_PLATFORM_KUBECONFIG: kubeconfig },
  });
  const calls = existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : [];
  return { ...run, calls };
}

describe("what pulumi destroy runs inside the cluster before the cluster goes", () => {
  it("deletes LoadBalancer Services, then every claim, then waits until no Delete-policy volume is left", () => {
    const run = runTeardown();
    expect(run.status, run.stderr).toBe(0);
    const commands = run.calls.map((call) => call.replace(/^KUBECONFIG=apiVersion: v1 # test /, ""));
    expect(run.calls.every((call) => call.startsWith("KUBECONFIG=apiVersion: v1 # test "))).toBe(true);
    expect(commands[0]).toMatch(/^get services --all-namespaces/);
    expect(commands[1]).toBe("delete service --namespace ingress ingress-nginx-controller --ignore-not-found --wait=true --timeout=900s");
    expect(commands[2]).toBe("delete persistentvolumeclaims --all-namespaces --all --ignore-not-found --wait=true --timeout=900s");
    expect(commands.filter((command) => command.startsWith("get persistentvolumes"))).toHaveLength(3);
    expect(run.stderr).toMatch(/reclaimPolicy Retain stay in the cloud.*pv-kept/);
    expect(run.stdout).toMatch(/no load balancer or volume of this cluster is left/);
  });

  it("deletes nothing when the stack's kubeconfig is empty, instead of using the machine's default cluster", () => {
    const run = runTeardown(true, "");
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/no kubeconfig for this stack's cluster/);
    expect(run.calls).toEqual([]);
  });

  it("refuses to pretend when kubectl is missing", () => {
    const run = runTeardown(false);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/kubectl is not installed where pulumi runs/);
  });
});
