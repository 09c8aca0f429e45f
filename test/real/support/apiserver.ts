import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { freePort, startDaemon, waitUntil } from "./daemon";
import { requireRealTool } from "./tools";

export interface ApiServer {
  /** https URL of the API server. */
  readonly server: string;
  /** Kubeconfig (YAML) of a cluster admin. */
  readonly kubeconfig: string;
  /** The same kubeconfig as a file, for kubectl, helm and the Pulumi provider. */
  readonly kubeconfigPath: string;
  /** The service-account signing key (PEM), for kube-controller-manager; absent for your own cluster. */
  readonly serviceAccountKeyPath?: string;
  stop(): Promise<void>;
}

/**
 * Set to a kubeconfig file to run the real checks against a cluster of your own (kind, k3d, ...)
 * instead of a throwaway etcd + kube-apiserver. Nothing is stopped or deleted there.
 */
export const externalKubeconfigVariable = "LLM_PLATFORM_REAL_KUBECONFIG";

/** GET with the admin token; the self-signed serving certificate is only ever on loopback. */
function get(server: string, path: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server}${path}`, { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

function external(path: string): ApiServer {
  const kubeconfig = readFileSync(path, "utf8");
  const config = parse(kubeconfig) as {
    "current-context"?: string;
    contexts?: { name: string; context: { cluster: string } }[];
    clusters?: { name: string; cluster: { server: string } }[];
  };
  const context = config.contexts?.find((entry) => entry.name === config["current-context"]) ?? config.contexts?.[0];
  const cluster = config.clusters?.find((entry) => entry.name === context?.context.cluster) ?? config.clusters?.[0];
  if (!cluster) throw new Error(`${externalKubeconfigVariable}=${path}: no cluster in that kubeconfig`);
  return { server: cluster.cluster.server, kubeconfig, kubeconfigPath: path, stop: async () => {} };
}

export interface ApiServerOptions {
  /**
   * Call admission webhooks. A `pulumi up` against kwok (no container runs) sets false: the operators'
   * webhook Services have no process behind them, so every object they validate would be rejected.
   * @default true
   */
  readonly admissionWebhooks?: boolean;
}

/**
 * A real control plane on loopback: etcd and kube-apiserver on free ports, a static admin token in
 * system:masters, RBAC, service-account keys and privileged pods allowed (as on EKS, GKE and k3s).
 * No controllers, scheduler or kubelet run: objects are stored and validated, nothing reconciles them
 * (kwok.ts adds simulated nodes and pods).
 */
export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const externalPath = process.env[externalKubeconfigVariable];
  if (externalPath) return external(externalPath);

  const etcdBinary = requireRealTool("etcd");
  const apiServerBinary = requireRealTool("kube-apiserver");
  const dir = mkdtempSync(join(tmpdir(), "llm-platform-apiserver-"));
  const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];

  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcd = startDaemon(
    "etcd",
    etcdBinary,
    [
      "--name=real",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=real=${peerUrl}`,
      // A throwaway store: fsync would only slow the checks down.
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    join(dir, "etcd.log"),
  );

  const stopAll: (() => Promise<void>)[] = [etcd.stop];
  const stop = async () => {
    for (const halt of stopAll.reverse()) await halt();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitUntil(etcd, "healthy etcd", async () => (await fetch(`${etcdUrl}/health`)).ok, 60_000);

    const token = randomBytes(24).toString("hex");
    writeFileSync(join(dir, "tokens.csv"), `${token},admin,admin,"system:masters"\n`);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    mkdirSync(join(dir, "certs"));

    const apiServer = startDaemon(
      "kube-apiserver",
      apiServerBinary,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${securePort}`,
        `--cert-dir=${join(dir, "certs")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--allow-privileged=true",
        // One client (the tests); fairness queues only add latency.
        "--enable-priority-and-fairness=false",
        // A new node gets a not-ready taint that only the node controller lifts; kwok's nodes are Ready
        // from the start and the controllers do not always run, so the taint would stay and block pods.
        `--disable-admission-plugins=${["TaintNodesByCondition", ...(options.admissionWebhooks === false ? ["ValidatingAdmissionWebhook", "MutatingAdmissionWebhook"] : [])].join(",")}`,
      ],
      join(dir, "apiserver.log"),
    );
    stopAll.push(apiServer.stop);

    const server = `https://127.0.0.1:${securePort}`;
    // Ready, and the bootstrap controller has created the default namespace.
    await waitUntil(apiServer, "ready API server", async () => (await get(server, "/readyz", token)).status === 200, 180_000);
    await waitUntil(apiServer, "default namespace", async () => (await get(server, "/api/v1/namespaces/default", token)).status === 200, 60_000);

    const kubeconfig = stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "real", cluster: { server, "insecure-skip-tls-verify": true } }],
      users: [{ name: "admin", user: { token } }],
      contexts: [{ name: "real", context: { cluster: "real", user: "admin" } }],
      "current-context": "real",
    });
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
    return { server, kubeconfig, kubeconfigPath, serviceAccountKeyPath: join(dir, "sa.key"), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
