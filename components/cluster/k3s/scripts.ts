/**
 * The shell each k3s host receives over SSH, as pure functions of that host's plan.
 * Every config value reaches the shell only single-quoted, or JSON-quoted inside a quoted heredoc
 * (no expansion at all), so a value can never run as a command. Pure: tests run the exact text.
 */
import { gpuNodeConventions } from "../types";

export interface K3sNodePlan {
  readonly role: "server" | "agent";
  readonly address: string;
  /** @default the host's hostname */
  readonly nodeName?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Only for GPU agents. */
  readonly gpu?: { readonly pool: string; readonly gpusPerNode: number };
  /** `https://<first server or API address>:6443`, or undefined for the first server (cluster-init). */
  readonly joinUrl?: string;
  /** Extra names in the servers' API certificate (the API address). */
  readonly tlsSans: readonly string[];
}

/** Where the scripts put things on the host; fixed, so that re-runs overwrite the same files. */
export const k3sPaths = {
  config: "/etc/rancher/k3s/config.yaml",
  token: "/etc/rancher/k3s/cluster-token",
  /** Servers only: the agent token, which joins agents but grants no server access. */
  agentToken: "/etc/rancher/k3s/agent-token",
  /** Written by the first server: the secure (CA-pinning) forms of both tokens. */
  secureServerToken: "/var/lib/rancher/k3s/server/token",
  secureAgentToken: "/var/lib/rancher/k3s/server/agent-token",
  kubeconfig: "/etc/rancher/k3s/k3s.yaml",
  sysctl: "/etc/sysctl.d/90-llm-platform-kubelet.conf",
  podSecurity: "/var/lib/rancher/k3s/server/psa.yaml",
  auditPolicy: "/var/lib/rancher/k3s/server/audit.yaml",
  auditLog: "/var/lib/rancher/k3s/server/logs/audit.log",
  /** Credentials that may label only their own node (NodeRestriction), on agents. */
  kubeletKubeconfig: "/var/lib/rancher/k3s/agent/kubelet.kubeconfig",
} as const;

/** POSIX single-quoting: the value becomes exactly one literal word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A JSON string is a valid YAML double-quoted scalar; escaping the Unicode line breaks keeps it on one line. */
const yamlQuote = (value: string) => JSON.stringify(value).replace(/[\u0085\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
const yamlList = (key: string, values: readonly string[]) => (values.length ? [`${key}:`, ...values.map((value) => `  - ${yamlQuote(value)}`)] : []);

// Kernel settings the kubelet insists on with protect-kernel-defaults (k3s hardening guide).
const kernelDefaults = ["vm.panic_on_oom=0", "vm.overcommit_memory=1", "kernel.panic=10", "kernel.panic_on_oops=1"];

/** Pod Security Admission: baseline enforced everywhere; namespaces that need more label themselves. */
const podSecurityConfig = [
  "apiVersion: apiserver.config.k8s.io/v1",
  "kind: AdmissionConfiguration",
  "plugins:",
  "  - name: PodSecurity",
  "    configuration:",
  "      apiVersion: pod-security.admission.config.k8s.io/v1",
  "      kind: PodSecurityConfiguration",
  "      defaults:",
  '        enforce: "baseline"',
  '        enforce-version: "latest"',
  '        audit: "restricted"',
  '        audit-version: "latest"',
  '        warn: "restricted"',
  '        warn-version: "latest"',
  "      exemptions:",
  "        usernames: []",
  "        runtimeClasses: []",
  "        namespaces: [kube-system]",
];

/** Metadata only: who did what to which object, never request or response bodies (Secrets). */
const auditPolicy = ["apiVersion: audit.k8s.io/v1", "kind: Policy", "omitStages: [RequestReceived]", "rules:", "  - level: Metadata"];

/** /etc/rancher/k3s/config.yaml for one host. */
export function k3sConfigYaml(plan: K3sNodePlan): string {
  const taints = plan.gpu ? [`${gpuNodeConventions.taint.key}=${gpuNodeConventions.taint.value}:${gpuNodeConventions.taint.effect}`] : [];
  const labels = nodeLabels(plan);
  const lines = [
    `token-file: ${yamlQuote(k3sPaths.token)}`,
    ...(plan.joinUrl ? [`server: ${yamlQuote(plan.joinUrl)}`] : ["cluster-init: true"]),
    ...(plan.nodeName ? [`node-name: ${yamlQuote(plan.nodeName)}`] : []),
    ...yamlList("node-label", Object.entries(labels).map(([key, value]) => `${key}=${value}`)),
    ...yamlList("node-taint", taints),
    "protect-kernel-defaults: true",
    ...yamlList("kubelet-arg", ["streaming-connection-idle-timeout=5m"]),
  ];
  if (plan.role === "server") {
    lines.push(
      `agent-token-file: ${yamlQuote(k3sPaths.agentToken)}`,
      ...yamlList("tls-san", [plan.address, ...plan.tlsSans]),
      'write-kubeconfig-mode: "0600"',
      "secrets-encryption: true",
      // The platform brings its own ingress controller.
      ...yamlList("disable", ["traefik"]),
      ...yamlList("kube-apiserver-arg", [
        `admission-control-config-file=${k3sPaths.podSecurity}`,
        `audit-policy-file=${k3sPaths.auditPolicy}`,
        `audit-log-path=${k3sPaths.auditLog}`,
        "audit-log-maxage=30",
        "audit-log-maxbackup=10",
        "audit-log-maxsize=100",
      ]),
    );
  }
  return `${lines.join("\n")}\n`;
}

const heredocEnd = "LLM_PLATFORM_EOF";
/** Writes `body` to `path` as root with `mode`, atomically; the quoted heredoc expands nothing. */
const writeFile = (path: string, mode: string, body: string) => [
  `put_file ${shellQuote(mode)} ${shellQuote(path)} <<'${heredocEnd}'`,
  body.replace(/\n$/, ""),
  heredocEnd,
];

/** What to install when the NVIDIA runtime is missing; k3s only detects it if it exists before k3s starts. */
export const nvidiaRuntimeMissing =
  "the NVIDIA container runtime (nvidia-container-runtime) is not installed. Install the NVIDIA driver and the NVIDIA Container Toolkit " +
  "(package nvidia-container-toolkit: https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), " +
  "then run pulumi up again; k3s picks the runtime up when it restarts.";

/** Every label the node should carry: the host's own, plus the pool label on GPU agents. */
export function nodeLabels(plan: K3sNodePlan): Record<string, string> {
  return { ...plan.labels, ...(plan.gpu ? { [gpuNodeConventions.poolLabel]: plan.gpu.pool } : {}) };
}

/**
 * k3s applies node-label only when a node registers, so a re-run (after a label edit) sets them
 * again through the API, waiting up to 5 minutes for the node to register. Labels removed from
 * config stay on the node until removed with kubectl.
 */
function applyLabels(plan: K3sNodePlan, who: string): string[] {
  const labels = Object.entries(nodeLabels(plan)).map(([key, value]) => shellQuote(`${key}=${value}`));
  if (labels.length === 0) return [];
  const kubeconfig = plan.role === "server" ? k3sPaths.kubeconfig : k3sPaths.kubeletKubeconfig;
  return [
    plan.nodeName ? `node_name=${shellQuote(plan.nodeName)}` : "node_name=$(hostname | tr '[:upper:]' '[:lower:]')",
    "tries=0",
    `until as_root k3s kubectl --kubeconfig ${shellQuote(kubeconfig)} label node "$node_name" --overwrite ${labels.join(" ")} >/dev/null; do`,
    "  tries=$((tries + 1))",
    `  [ "$tries" -lt 60 ] || fail ${shellQuote(`${who}: the node did not register within 5 minutes; see journalctl -u k3s${plan.role === "agent" ? "-agent" : ""}`)}`,
    "  sleep 5",
    "done",
  ];
}

function gpuChecks(plan: K3sNodePlan, who: string): string[] {
  if (!plan.gpu) return [];
  const expected = plan.gpu.gpusPerNode;
  return [
    "# GPU agent: fail before touching k3s when the NVIDIA stack is missing.",
    "if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then",
    `  fail ${shellQuote(`${who}: nvidia-smi does not work: the NVIDIA driver is not installed or not loaded. Install the NVIDIA driver for this GPU, then run pulumi up again.`)}`,
    "fi",
    "if ! command -v nvidia-container-runtime >/dev/null 2>&1 && [ ! -x /usr/local/nvidia/toolkit/nvidia-container-runtime ]; then",
    `  fail ${shellQuote(`${who}: ${nvidiaRuntimeMissing}`)}`,
    "fi",
    "gpus=$(nvidia-smi -L | grep -c '^GPU ' || true)",
    `if [ "$gpus" -lt ${expected} ]; then`,
    `  fail ${shellQuote(`${who}: gpusPerNode is ${expected} in the stack config, but nvidia-smi lists fewer GPUs:`)} "$gpus"`,
    "fi",
  ];
}

/**
 * Reads the join secrets from stdin, one per line: the token (servers: then the agent token). Every
 * joining node requires the secure K10<CA hash>:: form, so it checks the cluster's CA before it sends
 * credentials; only the first server, which creates that CA, takes the short form.
 */
function readTokens(plan: K3sNodePlan): string[] {
  return [
    "token=''",
    "IFS= read -r token || true",
    "[ -n \"$token\" ] || fail 'no join token on stdin'",
    ...(plan.joinUrl
      ? ["case \"$token\" in K10*::*) ;; *) fail 'refusing to join with a short token: only the secure K10<CA hash>:: form checks the cluster CA before sending credentials' ;; esac"]
      : []),
    ...(plan.role === "server" ? ["agent_token=''", "IFS= read -r agent_token || true", "[ -n \"$agent_token\" ] || fail 'no agent token on stdin'"] : []),
  ];
}

/** The script that installs or reconfigures k3s on one host; safe to run again. The join tokens arrive on stdin. */
export function k3sNodeScript(plan: K3sNodePlan, k3sVersion: string): string {
  const who = `k3s ${plan.role} ${plan.nodeName ?? plan.address}`;
  const installer = `https://raw.githubusercontent.com/k3s-io/k3s/${k3sVersion}/install.sh`;
  const lines = [
    `# llm-platform: k3s ${plan.role} setup, generated by Pulumi; safe to run again.`,
    "set -eu",
    "umask 077",
    "fail() { echo \"llm-platform: $*\" >&2; exit 1; }",
    "as_root() { if [ \"$(id -u)\" -eq 0 ]; then \"$@\"; else sudo -n \"$@\"; fi; }",
    // Positional arguments only: the constant program text never contains a config value.
    "put_file() { as_root sh -c 'umask 077; mkdir -p \"$(dirname \"$2\")\"; cat > \"$2.tmp\"; chmod \"$1\" \"$2.tmp\"; mv \"$2.tmp\" \"$2\"' put_file \"$1\" \"$2\"; }",
    // The tokens come on stdin, so they are never part of a command line or of this script.
    ...readTokens(plan),
    ...gpuChecks(plan, who),
    ...writeFile(k3sPaths.sysctl, "0644", `${kernelDefaults.join("\n")}\n`),
    `as_root sysctl -p ${shellQuote(k3sPaths.sysctl)} >/dev/null`,
    ...(plan.role === "server"
      ? [
          ...writeFile(k3sPaths.podSecurity, "0600", `${podSecurityConfig.join("\n")}\n`),
          ...writeFile(k3sPaths.auditPolicy, "0600", `${auditPolicy.join("\n")}\n`),
          `as_root mkdir -p -m 0700 ${shellQuote(k3sPaths.auditLog.replace(/\/[^/]+$/, ""))}`,
        ]
      : []),
    `printf '%s\\n' "$token" | put_file 0600 ${shellQuote(k3sPaths.token)}`,
    ...(plan.role === "server" ? [`printf '%s\\n' "$agent_token" | put_file 0600 ${shellQuote(k3sPaths.agentToken)}`] : []),
    ...writeFile(k3sPaths.config, "0600", k3sConfigYaml(plan)),
    "workdir=$(mktemp -d)",
    "trap 'rm -rf \"$workdir\"' EXIT",
    `curl -sfL --retry 5 -o "$workdir/install.sh" ${shellQuote(installer)} || fail ${shellQuote(`${who}: cannot download ${installer}`)}`,
    // The installer skips the restart when only config.yaml changed; a re-run exists to apply it.
    `as_root env INSTALL_K3S_VERSION=${shellQuote(k3sVersion)} INSTALL_K3S_EXEC=${shellQuote(plan.role)} INSTALL_K3S_FORCE_RESTART=true sh "$workdir/install.sh"`,
    ...applyLabels(plan, who),
    `echo ${shellQuote(`llm-platform: ${who} is running k3s ${k3sVersion}`)}`,
  ];
  return `${lines.join("\n")}\n`;
}

/** Prints the secure forms of the server and agent tokens, one per line, from the first server (root only). */
export function secureTokensReadScript(): string {
  const read = (path: string) => `if [ "$(id -u)" -eq 0 ]; then cat ${shellQuote(path)}; else sudo -n cat ${shellQuote(path)}; fi`;
  return `set -eu
${read(k3sPaths.secureServerToken)}
${read(k3sPaths.secureAgentToken)}
`;
}

/** Splits secureTokensReadScript()'s output; fails loudly rather than joining anyone with a short token. */
export function parseSecureTokens(stdout: string): { server: string; agent: string } {
  const [server, agent] = stdout.trim().split(/\r?\n/).map((line) => line.trim());
  if (!server?.startsWith("K10") || !agent?.startsWith("K10")) throw new Error("the first k3s server did not return secure (K10...) server and agent tokens");
  return { server, agent };
}

/** Prints the first server's admin kubeconfig (mode 0600, so root reads it). */
export function kubeconfigReadScript(): string {
  return `set -eu\nif [ "$(id -u)" -eq 0 ]; then cat ${shellQuote(k3sPaths.kubeconfig)}; else sudo -n cat ${shellQuote(k3sPaths.kubeconfig)}; fi\n`;
}

/** Points k3s's admin kubeconfig (written for 127.0.0.1) at the address clients can reach. */
export function rewriteKubeconfigServer(kubeconfig: string, apiUrl: string): string {
  const local = /^(\s*server:\s*)https:\/\/(127\.0\.0\.1|localhost|\[::1\]):6443\s*$/m;
  if (!local.test(kubeconfig)) throw new Error("the k3s kubeconfig has no server: https://127.0.0.1:6443 line to rewrite");
  return kubeconfig.replace(new RegExp(local.source, "gm"), (_line, prefix: string) => `${prefix}${apiUrl}`);
}
