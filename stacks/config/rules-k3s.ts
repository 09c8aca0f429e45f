import { gpuNodeConventions } from "../../components/cluster/types";
import type { K3sProvisionConfig } from "./cluster-k3s";

type Path = (string | number)[];
type Fail = (path: Path, message: string) => void;

/** A GPU pool as the hosts of a provisioned k3s cluster define it. */
export interface K3sGpuPool {
  name: string;
  gpusPerNode: number;
  nodes: number;
}

/** Groups the GPU agents by pool; pure, so the rules, serving and the component agree. */
export function k3sGpuPools(cluster: Pick<K3sProvisionConfig, "agents">): K3sGpuPool[] {
  const pools = new Map<string, K3sGpuPool>();
  for (const agent of cluster.agents) {
    if (!agent.gpu || !agent.gpuPool) continue;
    const pool = pools.get(agent.gpuPool) ?? { name: agent.gpuPool, gpusPerNode: agent.gpusPerNode ?? 0, nodes: 0 };
    pool.gpusPerNode = Math.min(pool.gpusPerNode, agent.gpusPerNode ?? 0);
    pool.nodes += 1;
    pools.set(agent.gpuPool, pool);
  }
  return [...pools.values()];
}

/** Label key prefixes the kubelet refuses to set on itself at registration. */
const reservedLabelDomains = /^([^/]*\.)?(kubernetes\.io|k8s\.io)\//;

/** Rules for mode "provision": quorum, unique hosts, and GPU flags that agree with each other. */
export function checkK3sProvisionRules(cluster: K3sProvisionConfig, environment: string, fail: Fail): void {
  const servers = cluster.servers.length;
  if (servers === 0) {
    fail(["cluster", "servers"], "needs at least one server: list 1 server, or 3 for HA with embedded etcd");
  } else if (servers !== 1 && servers !== 3) {
    fail(["cluster", "servers"], `got ${servers} servers; use 1, or 3 for HA: embedded etcd keeps quorum only with an odd count, and ${servers === 2 ? "2 servers fail when either one does" : "more than 3 add latency without more tolerance here"}`);
  }

  const hosts: { path: Path; address: string; port: number; nodeName?: string | undefined; labels: Record<string, string> }[] = [
    ...cluster.servers.map((host, index) => ({ ...host, path: ["cluster", "servers", index] as Path })),
    ...cluster.agents.map((host, index) => ({ ...host, path: ["cluster", "agents", index] as Path })),
  ];
  const where = (path: Path) => `cluster.${path[1]}[${path[2]}]`;
  // Without a pinned host key the join tokens and the admin kubeconfig go to whoever answers on the SSH port.
  if (environment === "prod" && cluster.insecureAcceptAnyHostKey) {
    fail(["cluster", "insecureAcceptAnyHostKey"], "must be false in prod: pin each host's SSH key with hostKey");
  } else if (!cluster.insecureAcceptAnyHostKey) {
    for (const host of [...cluster.servers, ...cluster.agents].map((h, i) => ({ ...h, path: hosts[i]!.path }))) {
      if (!host.hostKey) fail([...host.path, "hostKey"], "required: pin the host's SSH key (ssh-keyscan -t ed25519 <address>), so the join tokens and admin kubeconfig only go to that host (or, outside prod, set cluster.insecureAcceptAnyHostKey: true)");
    }
  }
  const seenAddresses = new Map<string, Path>();
  const seenNames = new Map<string, Path>();
  for (const host of hosts) {
    const endpoint = `${host.address}:${host.port}`;
    const firstAt = seenAddresses.get(endpoint);
    if (firstAt) fail([...host.path, "address"], `duplicate host "${endpoint}", also ${where(firstAt)}: each host runs one k3s node`);
    else seenAddresses.set(endpoint, host.path);
    if (host.nodeName) {
      const nameAt = seenNames.get(host.nodeName);
      if (nameAt) fail([...host.path, "nodeName"], `duplicate node name "${host.nodeName}", also ${where(nameAt)}: the second node could not register`);
      else seenNames.set(host.nodeName, host.path);
    }
    for (const key of Object.keys(host.labels)) {
      if (key === gpuNodeConventions.poolLabel) {
        fail([...host.path, "labels", key], `is set from gpu and gpuPool; use gpu: true and gpuPool: <name> on an agent instead, so that the taint and the runtime check come with it`);
      } else if (reservedLabelDomains.test(key)) {
        fail([...host.path, "labels", key], "the kubelet may not set labels under kubernetes.io or k8s.io at registration; pick your own prefix");
      }
    }
  }

  cluster.agents.forEach((agent, index) => {
    const at = (key: string): Path => ["cluster", "agents", index, key];
    if (agent.gpu) {
      if (!agent.gpuPool) fail(at("gpuPool"), "required when gpu is true: models are placed by pool name");
      if (agent.gpusPerNode === undefined) fail(at("gpusPerNode"), "required when gpu is true: serving checks that models fit on a node");
    } else {
      for (const key of ["gpuPool", "gpusPerNode"] as const) {
        if (agent[key] !== undefined) fail(at("gpu"), `must be true when ${key} is set: without it the host gets no GPU label, taint or runtime check`);
      }
    }
  });

  const firstGpus = new Map<string, number>();
  cluster.agents.forEach((agent, index) => {
    if (!agent.gpu || !agent.gpuPool || agent.gpusPerNode === undefined) return;
    const first = firstGpus.get(agent.gpuPool);
    if (first === undefined) firstGpus.set(agent.gpuPool, agent.gpusPerNode);
    else if (first !== agent.gpusPerNode) {
      fail(["cluster", "agents", index, "gpusPerNode"], `pool "${agent.gpuPool}" has hosts with ${first} GPUs; every host of a pool needs the same count, so that a model's placement does not depend on the node`);
    }
  });
}
