import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { gpuNodeConventions } from "../../../components/cluster/types";
import { startDaemon, waitUntil } from "./daemon";
import { requireRealTool } from "./tools";

/** Only nodes with this annotation are simulated, never a real cluster's own nodes. */
const managedAnnotation = { key: "kwok.x-k8s.io/node", value: "fake" } as const;

/**
 * kwok's lifecycle for simulated objects (its Stage API): a node becomes Ready at once, a pod bound to
 * one runs and is Ready, a Job's pod then succeeds, and a deleted pod goes away (no kubelet would
 * remove it). kwok renews the nodes' leases itself, so the node controller keeps them Ready.
 */
const stages = [
  {
    name: "node-ready",
    kind: "Node",
    selector: [{ key: '.status.conditions.[] | select( .type == "Ready" ) | .status', operator: "NotIn", values: ["True"] }],
    next: {
      statusTemplate: [
        "{{ $now := Now }}",
        "conditions:",
        "{{ range NodeConditions }}",
        "- {type: {{ .type | Quote }}, status: {{ .status | Quote }}, reason: {{ .reason | Quote }}, message: {{ .message | Quote }}, lastHeartbeatTime: {{ $now | Quote }}, lastTransitionTime: {{ $now | Quote }}}",
        "{{ end }}",
        "addresses:",
        "- {type: InternalIP, address: {{ NodeIP | Quote }}}",
        "- {type: Hostname, address: {{ .metadata.name | Quote }}}",
        "nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: {{ printf \"kwok-%s\" Version | Quote }}}",
        "phase: Running",
      ].join("\n"),
    },
  },
  {
    name: "pod-ready",
    kind: "Pod",
    selector: [
      { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
      { key: ".status.phase", operator: "In", values: ["Pending"] },
    ],
    next: {
      statusTemplate: [
        "{{ $now := Now }}",
        "conditions:",
        ...["Initialized", "Ready", "ContainersReady", "PodScheduled"].map(
          (type) => `- {type: ${type}, status: "True", lastTransitionTime: {{ $now | Quote }}}`,
        ),
        "containerStatuses:",
        "{{ range .spec.containers }}",
        "- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, started: true, restartCount: 0, state: {running: {startedAt: {{ $now | Quote }}}}}",
        "{{ end }}",
        "initContainerStatuses:",
        "{{ range .spec.initContainers }}",
        "- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: true, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}}",
        "{{ end }}",
        "{{ with PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid \"\" ) ( or .metadata.name \"\" ) ( or .metadata.namespace \"\" ) }}",
        "podIP: {{ index . 0 | Quote }}",
        "{{ end }}",
        "phase: Running",
        "startTime: {{ $now | Quote }}",
      ].join("\n"),
    },
  },
  {
    name: "job-pod-succeeded",
    kind: "Pod",
    selector: [
      { key: ".metadata.deletionTimestamp", operator: "DoesNotExist" },
      { key: ".status.phase", operator: "In", values: ["Running"] },
      { key: ".metadata.ownerReferences.[].kind", operator: "In", values: ["Job"] },
    ],
    next: {
      statusTemplate: [
        "{{ $now := Now }}",
        "containerStatuses:",
        "{{ range .spec.containers }}",
        "- {name: {{ .name | Quote }}, image: {{ .image | Quote }}, ready: false, started: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed, startedAt: {{ $now | Quote }}, finishedAt: {{ $now | Quote }}}}}",
        "{{ end }}",
        "phase: Succeeded",
      ].join("\n"),
    },
  },
  { name: "pod-deleted", kind: "Pod", selector: [{ key: ".metadata.deletionTimestamp", operator: "Exists" }], next: { delete: true } },
];

function stageConfig(): string {
  return stages
    .map(({ name, kind, selector, next }) =>
      stringify({
        apiVersion: "kwok.x-k8s.io/v1alpha1",
        kind: "Stage",
        metadata: { name },
        spec: { resourceRef: { apiGroup: "v1", kind }, selector: { matchExpressions: selector }, next },
      }),
    )
    .join("---\n");
}

export interface Kwok {
  stop(): Promise<void>;
}

/** kwok against the API server of kubeconfigPath, simulating the nodes createFakeNodes() adds and their pods. */
export async function startKwok(kubeconfigPath: string): Promise<Kwok> {
  const binary = requireRealTool("kwok");
  const dir = mkdtempSync(join(tmpdir(), "llm-platform-kwok-"));
  const configPath = join(dir, "stages.yaml");
  writeFileSync(configPath, stageConfig());
  const kwok = startDaemon(
    "kwok",
    binary,
    [
      `--config=${configPath}`,
      `--kubeconfig=${kubeconfigPath}`,
      `--manage-nodes-with-annotation-selector=${managedAnnotation.key}=${managedAnnotation.value}`,
      "--cidr=10.244.0.0/16",
      "--node-ip=10.0.0.1",
      // Its own status server, on loopback only.
      "--server-address=127.0.0.1:0",
    ],
    join(dir, "kwok.log"),
  );
  const stop = async () => {
    await kwok.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // kwok logs nothing useful to wait on; give it a moment and make sure it did not exit on a bad flag.
    await waitUntil(kwok, "kwok running for 2 s", async () => (await new Promise((r) => setTimeout(r, 2000, true))) as boolean, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

export interface FakeNodeOptions {
  /** GPU pool the GPU node belongs to (its `llm-platform.io/gpu-pool` label). @default "gpu" */
  readonly gpuPool?: string;
  /** `nvidia.com/gpu` the GPU node advertises. @default 1 */
  readonly gpus?: number;
}

/** Node names createFakeNodes() creates. */
export const fakeNodeNames = { system: "kwok-system-1", gpu: "kwok-gpu-1" } as const;

function fakeNode(name: string, labels: Record<string, string>, extra: { taints?: object[]; capacity?: Record<string, string> }) {
  const capacity = { cpu: "32", memory: "128Gi", pods: "110", "ephemeral-storage": "500Gi", ...extra.capacity };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { [managedAnnotation.key]: managedAnnotation.value, "node.alpha.kubernetes.io/ttl": "0" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok", ...labels },
    },
    spec: { taints: extra.taints ?? [] },
    status: { capacity, allocatable: capacity },
  };
}

/**
 * Adds one system node and one GPU node as the platform's GPU pools look: the pool label, the
 * `nvidia.com/gpu=present:NoSchedule` taint, `nvidia.com/gpu.present=true` (what the NVIDIA charts'
 * node affinity looks for) and `nvidia.com/gpu` capacity.
 */
export function createFakeNodes(kubeconfigPath: string, options: FakeNodeOptions = {}): void {
  const { taint, poolLabel } = gpuNodeConventions;
  const nodes = [
    fakeNode(fakeNodeNames.system, {}, {}),
    fakeNode(
      fakeNodeNames.gpu,
      { [poolLabel]: options.gpuPool ?? "gpu", "nvidia.com/gpu.present": "true" },
      { taints: [{ ...taint }], capacity: { "nvidia.com/gpu": String(options.gpus ?? 1) } },
    ),
  ];
  execFileSync(requireRealTool("kubectl"), ["--kubeconfig", kubeconfigPath, "create", "-f", "-"], {
    input: nodes.map((node) => stringify(node)).join("---\n"),
    stdio: ["pipe", "pipe", "pipe"],
  });
}
