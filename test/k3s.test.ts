import { statSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { k3sNodePlans } from "../components/cluster/k3s-cluster";
import { k3sConfigYaml, k3sPaths, rewriteKubeconfigServer, shellQuote } from "../components/cluster/k3s/scripts";
import { gpuNodeConventions } from "../components/cluster/types";
import { charts, kubernetesVersions } from "../components/versions";
import { readStackFile } from "../scripts/lib/stack-file";
import { synthesize, type SynthResource, type SynthResult } from "../scripts/lib/synthesize";
import { unknownValueKeys } from "./support/chart-keys";
import { canaries, runInSandbox, syntaxCheck, type SandboxRun } from "./support/shell-sandbox";
import { byName, ofType, repoRoot, synthStack } from "./support/synth";
import { synthVariant } from "./support/variant";

const remoteCommand = "command:remote:Command";
const version = kubernetesVersions.k3s[0];
const token = "test-cluster-token-9f8e7d";
const agentToken = "test-agent-token-1a2b3c";
// What the first server writes once it has made the cluster CA: the tokens in their secure form.
const secureServerToken = `K10testcahash::server:${token}`;
const secureAgentToken = `K10testcahash::node:${agentToken}`;
/** What the component sends a host's script on stdin: the first server the short tokens, servers the secure server token, agents the secure agent token. */
const stdinFor = (script: string) =>
  script.includes("cluster-init: true") ? `${token}\n${agentToken}\n` : script.includes("INSTALL_K3S_EXEC='server'") ? `${secureServerToken}\n${agentToken}\n` : `${secureAgentToken}\n`;

/** The exact shell each host receives, by resource name (the kubeconfig read excluded). */
const hostScripts = (result: SynthResult): Map<string, string> =>
  new Map(ofType(result, remoteCommand).filter((r) => !r.name.endsWith("-kubeconfig") && !r.name.endsWith("-join-tokens")).map((r) => [r.name, r.inputs.create as string]));


/** Synthesizes Pulumi.k3s-lab.yaml after editing its cluster block, as a user would. */
async function synthLabVariant(edit: (cluster: Record<string, unknown> & { servers: Record<string, unknown>[]; agents: Record<string, unknown>[] }) => void): Promise<SynthResult> {
  const stack = parse(readFileSync(join(repoRoot, "Pulumi.k3s-lab.yaml"), "utf8")) as { config: Record<string, unknown> };
  edit(stack.config["llm-platform:cluster"] as never);
  const file = join(mkdtempSync(join(tmpdir(), "k3s-variant-")), "Pulumi.k3s-lab.yaml");
  writeFileSync(file, stringify(stack));
  return synthStack("k3s-lab", file);
}

const hostile = {
  nodeName: `gpu $(touch canary-subst) \`touch canary-tick\` 'single' "double"; touch canary-semi #`,
  label: `v $(touch canary-label)\nLLM_PLATFORM_EOF\ntouch canary-heredoc\n'`,
  address: "192.0.2.50; touch canary-address",
  pool: `pool$(touch canary-pool)`,
};

describe("k3s provision mode (Pulumi.k3s-lab.yaml)", () => {
  let lab: SynthResult;
  let scripts: Map<string, string>;
  /** Each host's script run once in a sandbox where the host has what it needs (1 GPU and the runtime). */
  let runs: Map<string, SandboxRun>;
  /** The config.yaml a host's script writes, parsed the way k3s would. */
  const configOf = (name: string): Record<string, unknown> => parse(runs.get(name)!.file(k3sPaths.config)!) as Record<string, unknown>;
  beforeAll(async () => {
    lab = await synthStack("k3s-lab");
    scripts = hostScripts(lab);
    runs = new Map([...scripts].map(([name, script]) => [name, runInSandbox(script, stdinFor(script), { gpus: 1, nvidiaRuntime: true })]));
  });

  it("runs one command per host, through an explicit command provider, plus the kubeconfig read", () => {
    expect([...scripts.keys()].sort()).toEqual([
      "llm-k3s-lab-agent-lab-cpu-1",
      "llm-k3s-lab-agent-lab-gpu-1",
      "llm-k3s-lab-server-lab-server-1",
      "llm-k3s-lab-server-lab-server-2",
      "llm-k3s-lab-server-lab-server-3",
    ]);
    const [provider] = ofType(lab, "pulumi:providers:command");
    for (const resource of ofType(lab, remoteCommand)) expect(resource.provider).toBe(provider!.urn);
    expect(ofType(lab, "llm-platform:cluster:K3s")).toHaveLength(1);
  });

  it("joins HA servers one at a time to the first, which initialises embedded etcd; agents wait for all servers", () => {
    const configs = Object.fromEntries([...scripts.keys()].map((name) => [name.replace("llm-k3s-lab-", ""), configOf(name)]));
    expect(configs["server-lab-server-1"]!["cluster-init"]).toBe(true);
    expect(configs["server-lab-server-1"]!.server).toBeUndefined();
    for (const joiner of ["server-lab-server-2", "server-lab-server-3", "agent-lab-cpu-1", "agent-lab-gpu-1"]) {
      expect(configs[joiner]!.server, joiner).toBe("https://192.0.2.11:6443");
      expect(configs[joiner]!["cluster-init"], joiner).toBeUndefined();
    }
    const urn = (name: string) => byName(lab, name).urn;
    expect(byName(lab, "llm-k3s-lab-server-lab-server-2").dependsOn).toContain(urn("llm-k3s-lab-server-lab-server-1"));
    expect(byName(lab, "llm-k3s-lab-server-lab-server-3").dependsOn).toContain(urn("llm-k3s-lab-server-lab-server-2"));
    for (const agent of ["llm-k3s-lab-agent-lab-cpu-1", "llm-k3s-lab-agent-lab-gpu-1"]) {
      for (const server of [1, 2, 3]) expect(byName(lab, agent).dependsOn).toContain(urn(`llm-k3s-lab-server-lab-server-${server}`));
    }
  });

  it("hardens every server: secrets encryption, kernel defaults, Pod Security admission, audit log, private kubeconfig", () => {
    for (const server of [1, 2, 3]) {
      const config = configOf(`llm-k3s-lab-server-lab-server-${server}`);
      expect(config).toMatchObject({ "secrets-encryption": true, "protect-kernel-defaults": true, "write-kubeconfig-mode": "0600", disable: ["traefik"] });
      expect(config["kube-apiserver-arg"]).toEqual(expect.arrayContaining([
        `admission-control-config-file=${k3sPaths.podSecurity}`,
        `audit-policy-file=${k3sPaths.auditPolicy}`,
        `audit-log-path=${k3sPaths.auditLog}`,
      ]));
      expect(config["tls-san"]).toContain(`192.0.2.1${server}`);
    }
    const run = runs.get("llm-k3s-lab-server-lab-server-1")!;
    expect(parse(run.file(k3sPaths.podSecurity)!)).toMatchObject({ plugins: [{ name: "PodSecurity", configuration: { defaults: { enforce: "baseline" } } }] });
    expect(parse(run.file(k3sPaths.auditPolicy)!)).toMatchObject({ kind: "Policy", rules: [{ level: "Metadata" }] });
    expect(statSync(join(run.dir, "fs", k3sPaths.config)).mode & 0o777).toBe(0o600);
  });

  it("labels and taints GPU agents only, with the pool label add-ons select on", () => {
    const gpu = configOf("llm-k3s-lab-agent-lab-gpu-1");
    expect(gpu["node-taint"]).toEqual(["nvidia.com/gpu=present:NoSchedule"]);
    expect(gpu["node-label"]).toEqual(expect.arrayContaining([`${gpuNodeConventions.poolLabel}=rtx4090`, "lab.example.com/rack=r2"]));
    // The device plugin's required affinity must match what the GPU agent really carries, and only that.
    const plugin = ofType(lab, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === charts.nvidiaDevicePlugin.chart)!;
    const terms = (plugin.inputs.values as { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: { matchExpressions: { key: string; operator: string; values: string[] }[] }[] } } } })
      .affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    expect(terms).toHaveLength(1);
    for (const { key, operator, values } of terms[0]!.matchExpressions) {
      expect(operator).toBe("In");
      expect(gpu["node-label"]).toContain(`${key}=${values[0]}`);
    }
    const cpu = configOf("llm-k3s-lab-agent-lab-cpu-1");
    expect(cpu["node-taint"]).toBeUndefined();
    expect(cpu["node-label"]).toEqual(["lab.example.com/rack=r1"]);
  });

  it("sets the labels again through the API after each run, since k3s applies node-label only at registration", () => {
    expect(runs.get("llm-k3s-lab-agent-lab-gpu-1")!.calls.sudo).toContainEqual([
      "-n", "k3s", "kubectl", "--kubeconfig", k3sPaths.kubeletKubeconfig, "label", "node", "lab-gpu-1", "--overwrite",
      "lab.example.com/rack=r2", `${gpuNodeConventions.poolLabel}=rtx4090`,
    ]);
    const servers = [1, 2, 3].map((server) => runs.get(`llm-k3s-lab-server-lab-server-${server}`)!);
    for (const run of servers) expect(run.calls.sudo!.filter((argv) => argv.includes("label"))).toEqual([]);
  });

  it("installs the pinned k3s version with the installer of the same tag, and restarts it to apply config", () => {
    for (const [name, run] of runs) {
      expect(run.status, `${name}: ${run.stderr}`).toBe(0);
      expect(run.installerEnv).toEqual({
        INSTALL_K3S_EXEC: name.includes("-server-") ? "server" : "agent",
        INSTALL_K3S_FORCE_RESTART: "true",
        INSTALL_K3S_VERSION: version,
      });
      expect(run.calls.curl).toEqual([["-sfL", "--retry", "5", "-o", expect.stringMatching(/install\.sh$/), `https://raw.githubusercontent.com/k3s-io/k3s/${version}/install.sh`]]);
    }
  });

  it("gives the join tokens only on stdin: never in a script, an argv, or the synth output", () => {
    for (const [name, script] of scripts) {
      expect(script).not.toContain("mock-password");
      expect(byName(lab, name).inputs.stdin).toBe("[secret]");
      const run = runs.get(name)!;
      expect(run.file(k3sPaths.token)).toBe(`${stdinFor(script).split("\n")[0]}\n`);
      for (const secret of [token, agentToken]) expect(JSON.stringify(run.calls)).not.toContain(secret);
      expect(statSync(join(run.dir, "fs", k3sPaths.token)).mode & 0o777).toBe(0o600);
    }
    expect(byName(lab, "llm-k3s-lab-kubeconfig").inputs.connection).toBe("[secret]");
    expect(lab.outputs.kubeconfig).toBe("[secret]");
  });

  it("gives agents only the agent token, and every joining node the secure token that pins the cluster CA", () => {
    const joinTokens = byName(lab, "llm-k3s-lab-join-tokens");
    expect(joinTokens.dependsOn).toContain(byName(lab, "llm-k3s-lab-server-lab-server-1").urn);
    expect(joinTokens.inputs.create).toContain(k3sPaths.secureAgentToken);
    for (const [name, script] of scripts) {
      const run = runs.get(name)!;
      if (name.includes("-agent-")) {
        expect(run.file(k3sPaths.token)).toBe(`${secureAgentToken}\n`);
        expect(run.file(k3sPaths.agentToken)).toBeUndefined();
        expect(byName(lab, name).dependsOn).toContain(joinTokens.urn);
      } else {
        expect(run.file(k3sPaths.agentToken)).toBe(`${agentToken}\n`);
        expect(configOf(name)["agent-token-file"]).toBe(k3sPaths.agentToken);
      }
      if (!script.includes("cluster-init: true")) {
        // A short token would make the node trust whatever CA answers.
        const short = runInSandbox(script, script.includes("INSTALL_K3S_EXEC='server'") ? `${token}\n${agentToken}\n` : `${agentToken}\n`, { gpus: 1, nvidiaRuntime: true });
        expect(short.status).not.toBe(0);
        expect(short.stderr).toMatch(/refusing to join with a short token/);
        expect(short.calls.curl).toBeUndefined();
      }
    }
  });

  it("stops a GPU agent without the NVIDIA container runtime before k3s, saying what to install", () => {
    const script = scripts.get("llm-k3s-lab-agent-lab-gpu-1")!;
    const run = runInSandbox(script, stdinFor(script), { gpus: 1, nvidiaRuntime: false });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/llm-platform: k3s agent lab-gpu-1: the NVIDIA container runtime .* not installed\. Install the NVIDIA driver and the NVIDIA Container Toolkit \(package nvidia-container-toolkit/);
    expect(run.file(k3sPaths.config)).toBeUndefined();
    expect(run.installerEnv).toBeUndefined();
    const noDriver = runInSandbox(script, stdinFor(script), { nvidiaRuntime: true });
    expect(noDriver.stderr).toMatch(/nvidia-smi does not work: the NVIDIA driver is not installed/);
    const tooFew = runInSandbox(script, stdinFor(script), { gpus: 0, nvidiaRuntime: true });
    expect(tooFew.stderr).toMatch(/gpusPerNode is 1 in the stack config, but nvidia-smi lists fewer GPUs: 0/);
    // A CPU agent needs none of it.
    expect(runInSandbox(scripts.get("llm-k3s-lab-agent-lab-cpu-1")!, stdinFor(scripts.get("llm-k3s-lab-agent-lab-cpu-1")!)).status).toBe(0);
  });

  it("parses every script with bash and dash (-n), and runs it unchanged under both", () => {
    for (const [name, script] of [...scripts, ["kubeconfig", byName(lab, "llm-k3s-lab-kubeconfig").inputs.create as string] as const]) {
      for (const shell of ["bash", "dash"]) expect(syntaxCheck(script, shell), `${name} (${shell})`).toEqual({ status: 0, stderr: "" });
    }
    expect(runInSandbox(scripts.get("llm-k3s-lab-server-lab-server-1")!, stdinFor(scripts.get("llm-k3s-lab-server-lab-server-1")!), {}, "dash").status).toBe(0);
  });

  it("hands add-ons GPU scheduling with RuntimeClass nvidia, and installs the device plugin on the GPU pool", () => {
    const [release] = ofType(lab, "kubernetes:helm.sh/v3:Release").filter((r) => r.name.includes("nvidia"));
    expect(release!.inputs.values).toMatchObject({
      runtimeClassName: "nvidia",
      nodeSelector: { [gpuNodeConventions.poolLabel]: "rtx4090" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }],
    });
    expect(unknownValueKeys(charts.nvidiaDevicePlugin, release!.inputs.values as Record<string, unknown>)).toEqual([]);
    // Baseline Pod Security is enforced cluster-wide; the plugin needs the kubelet's socket directory.
    const [namespace] = ofType(lab, "kubernetes:core/v1:Namespace").filter((r) => r.name.includes("nvidia"));
    expect(namespace!.inputs.metadata).toMatchObject({ labels: { "pod-security.kubernetes.io/enforce": "privileged" } });
    expect(unknownValueKeys(charts.nvidiaDevicePlugin, { gfd: { enabeld: false } })).toEqual(["gfd.enabeld"]);
    expect(lab.outputs.objectStoreUrl).toBe("s3://llm-lab-models");
  });

  it("fetches the kubeconfig from the first server once every host is up, as a secret pointing at its address", async () => {
    const fetch = byName(lab, "llm-k3s-lab-kubeconfig");
    expect(fetch.inputs.logging).toBe("none");
    expect(fetch.dependsOn).toEqual(expect.arrayContaining([...scripts.keys()].map((name) => byName(lab, name).urn)));
    expect(fetch.inputs.create).toContain(k3sPaths.kubeconfig);
    const local = "apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: default\n";
    expect(rewriteKubeconfigServer(local, "https://192.0.2.11:6443")).toContain("    server: https://192.0.2.11:6443\n");
    expect(() => rewriteKubeconfigServer("server: https://10.0.0.1:6443", "https://x:6443")).toThrow(/no server: https:\/\/127.0.0.1:6443/);
  });

  describe("re-runs", () => {
    const inputsByHost = (result: SynthResult) =>
      new Map(ofType(result, remoteCommand).map((r: SynthResource) => [r.name, JSON.stringify(r.inputs)]));

    it("an unchanged stack produces exactly the same command inputs, so pulumi up again changes nothing", async () => {
      const again = await synthStack("k3s-lab", undefined, { fresh: true });
      expect(inputsByHost(again)).toEqual(inputsByHost(lab));
    });

    it("changing one host's labels changes only that host's command", async () => {
      const changed = await synthLabVariant((cluster) => {
        cluster.agents[0]!.labels = { "lab.example.com/rack": "r9" };
      });
      const before = inputsByHost(lab);
      const differing = [...inputsByHost(changed)].filter(([name, inputs]) => before.get(name) !== inputs).map(([name]) => name);
      expect(differing).toEqual(["llm-k3s-lab-agent-lab-cpu-1"]);
    });

    it("growing from 1 to 3 servers leaves the first server untouched", async () => {
      const single = await synthLabVariant((cluster) => {
        cluster.servers = cluster.servers.slice(0, 1);
      });
      const name = "llm-k3s-lab-server-lab-server-1";
      expect(hostScripts(single).get(name)).toBe(scripts.get(name));
    });
  });
});

describe("hostile values in host config reach each host as literal data", () => {
  let scripts: Map<string, string>;
  beforeAll(async () => {
    // The schema rejects these (see test/config.test.ts); the component must still quote them safely.
    const result = await synthesize("hostile", readStackFile(join(repoRoot, "Pulumi.k3s-lab.yaml")), async () => {
      const random = await import("@pulumi/random");
      const { K3sCluster } = await import("../components/cluster/k3s-cluster");
      const randomProvider = new random.Provider("hostile-random");
      new K3sCluster("hostile", {
        servers: [{ address: "192.0.2.11", nodeName: hostile.nodeName, labels: { "example.com/note": hostile.label } }],
        agents: [{ address: hostile.address, gpu: { pool: hostile.pool, gpusPerNode: 1 } }],
        sshPrivateKey: pulumi.secret("test-key"),
      }, { providers: [randomProvider] });
      return { default: {} };
    });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    scripts = hostScripts(result);
  });

  it("still yields parseable scripts", () => {
    expect(scripts.size).toBe(2);
    for (const script of scripts.values()) expect(syntaxCheck(script, "bash")).toEqual({ status: 0, stderr: "" });
  });

  it.each(["bash", "dash"])("runs nothing from a value under %s, and k3s gets each value unchanged", (shell) => {
    const [server, agent] = [...scripts.keys()].sort().reverse().map((name) => scripts.get(name)!);
    const serverRun = runInSandbox(server!, stdinFor(server!), {}, shell);
    expect(serverRun.status, serverRun.stderr).toBe(0);
    const serverConfig = parse(serverRun.file(k3sPaths.config)!) as Record<string, unknown>;
    expect(serverConfig["node-name"]).toBe(hostile.nodeName);
    expect(serverConfig["node-label"]).toEqual([`example.com/note=${hostile.label}`]);
    expect(serverRun.stdout).toContain(`k3s server ${hostile.nodeName} is running`);
    expect(serverRun.calls.sudo).toContainEqual([
      "-n", "k3s", "kubectl", "--kubeconfig", k3sPaths.kubeconfig, "label", "node", hostile.nodeName, "--overwrite", `example.com/note=${hostile.label}`,
    ]);
    expect(canaries(serverRun.dir)).toEqual([]);

    const agentRun = runInSandbox(agent!, stdinFor(agent!), { gpus: 1, nvidiaRuntime: true }, shell);
    expect(agentRun.status, agentRun.stderr).toBe(0);
    const agentConfig = parse(agentRun.file(k3sPaths.config)!) as Record<string, unknown>;
    expect(agentConfig["node-label"]).toEqual([`${gpuNodeConventions.poolLabel}=${hostile.pool}`]);
    // Without a node name, k3s registers under the lowercased hostname.
    expect(agentRun.calls.sudo).toContainEqual([
      "-n", "k3s", "kubectl", "--kubeconfig", k3sPaths.kubeletKubeconfig, "label", "node", "gpu-host-7", "--overwrite", `${gpuNodeConventions.poolLabel}=${hostile.pool}`,
    ]);
    expect(canaries(agentRun.dir)).toEqual([]);

    // Failure messages carry the value as one literal argument too.
    const failing = runInSandbox(agent!, stdinFor(agent!), { gpus: 1, nvidiaRuntime: false }, shell);
    expect(failing.stderr).toContain(`k3s agent ${hostile.address}: the NVIDIA container runtime`);
    expect(canaries(failing.dir)).toEqual([]);
  });

  it("quotes with POSIX single quotes", () => {
    expect(shellQuote(`a'b $(c)`)).toBe(`'a'\\''b $(c)'`);
  });
});

describe("k3s node plans (pure)", () => {
  it("puts apiAddress in the servers' certificates and joins agents through it, servers through the first server", () => {
    const plans = k3sNodePlans({
      servers: [{ address: "192.0.2.11" }, { address: "192.0.2.12" }, { address: "192.0.2.13" }],
      agents: [{ address: "192.0.2.21" }],
      apiAddress: "k8s.lab.example.com",
    });
    expect(plans.server.map((plan) => plan.joinUrl)).toEqual([undefined, "https://192.0.2.11:6443", "https://192.0.2.11:6443"]);
    expect(plans.agent[0]!.joinUrl).toBe("https://k8s.lab.example.com:6443");
    expect(k3sConfigYaml(plans.server[0]!)).toContain('tls-san:\n  - "192.0.2.11"\n  - "k8s.lab.example.com"\n');
  });
});

describe("k3s existing mode (Pulumi.local.yaml, and the same with a GPU pool)", () => {
  let local: SynthResult;
  let withGpus: SynthResult;
  beforeAll(async () => {
    local = await synthStack("local");
    withGpus = await synthVariant("local", (config) => {
      const cluster = config.cluster as Record<string, unknown>;
      cluster.gpuPools = [{ name: "l4", nodeSelector: { [gpuNodeConventions.poolLabel]: "l4" }, gpusPerNode: 1, nodes: 1 }];
    });
  });

  it("installs the device plugin on configured GPU pools too, with RuntimeClass nvidia", () => {
    const [release] = ofType(withGpus, "kubernetes:helm.sh/v3:Release").filter((r) => r.name.includes("nvidia"));
    expect(release!.inputs.values).toMatchObject({ runtimeClassName: "nvidia", nodeSelector: { [gpuNodeConventions.poolLabel]: "l4" } });
    expect(ofType(withGpus, remoteCommand)).toEqual([]);
  });

  it("adopts the cluster from the kubeconfig secret: no SSH commands, no GPU parts without GPU pools", () => {
    expect(ofType(local, remoteCommand)).toEqual([]);
    expect(ofType(local, "llm-platform:cluster:Existing")).toHaveLength(1);
    expect(ofType(local, "llm-platform:addon:NvidiaDevicePlugin")).toEqual([]);
    expect(local.outputs.kubeconfig).toBe("[secret]");
    expect(local.outputs.objectStoreUrl).toBeNull();
  });
});
