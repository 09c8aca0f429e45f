import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon } from "./daemon";
import { requireRealTool } from "./tools";

/** A custom resource kind and the status its real operator would report once the workload is healthy. */
export interface OperatorStatus {
  /** `kubectl` resource name, e.g. `kibanas.kibana.k8s.elastic.co`. */
  readonly resource: string;
  /** A JSONPath filter on the items, e.g. `?(@.spec.type=="LoadBalancer")`. @default every item */
  readonly filter?: string;
  readonly status: Record<string, unknown>;
}

/**
 * The statuses `pulumi up` waits for that a controller writes on a real cluster and kwok does not: the
 * Kibana health the program awaits (`pulumi.com/waitFor`; the private CA's Certificate is handled apart,
 * below), the address k3s's ServiceLB gives a
 * LoadBalancer Service (Helm waits for one before the front door's release counts as installed), and
 * the address the ingress controller publishes on each Ingress (the kubernetes provider waits for it).
 * Without them `pulumi up` would wait out its timeouts.
 */
export const awaitedOperatorStatuses: readonly OperatorStatus[] = [
  { resource: "kibanas.kibana.k8s.elastic.co", status: { health: "green" } },
  { resource: "services", filter: '?(@.spec.type=="LoadBalancer")', status: { loadBalancer: { ingress: [{ ip: "127.0.0.1", ipMode: "VIP" }] } } },
  { resource: "ingresses.networking.k8s.io", status: { loadBalancer: { ingress: [{ ip: "127.0.0.1" }] } } },
];

export interface StandInOperators {
  /** The CA certificate (PEM) the cert-manager stand-in wrote for every CA Certificate. */
  readonly caCertificate: string;
  stop(): Promise<void>;
}

/**
 * cert-manager's part for a CA Certificate (`spec.isCA`), which the program waits for (`pulumi.com/waitFor:
 * condition=Ready`) and then reads back: the key pair in the Secret the Certificate names, with `ca.crt`
 * (for a self-signed root, the certificate itself), then the Ready condition. Hosts' certificates are left
 * alone: nothing waits for them.
 */
function certificateAuthorityStandIn(kubectl: string, dir: string): string {
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=stand-in CA"]
    .concat(["-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.crt")]));
  const ready = JSON.stringify({ status: { conditions: [{ type: "Ready", status: "True", reason: "Ready", message: "stand-in for cert-manager" }] } });
  const list = `${kubectl} get certificates.cert-manager.io --all-namespaces --ignore-not-found -o jsonpath='{range .items[?(@.spec.isCA==true)]}{.metadata.namespace} {.metadata.name} {.spec.secretName}{"\\n"}{end}'`;
  const files = ["tls.crt=ca.crt", "tls.key=ca.key", "ca.crt=ca.crt"].map((pair) => `--from-file=${pair.split("=")[0]}='${join(dir, pair.split("=")[1]!)}'`).join(" ");
  return [
    `${list} 2>/dev/null | while read -r ns name secret; do`,
    `  [ -n "$secret" ] || continue`,
    `  ${kubectl} -n "$ns" get secret "$secret" >/dev/null 2>&1 || ${kubectl} -n "$ns" create secret generic "$secret" --type=kubernetes.io/tls ${files} >/dev/null`,
    `  ${kubectl} patch certificates.cert-manager.io -n "$ns" "$name" --subresource=status --type=merge -p '${ready}' >/dev/null`,
    `done`,
  ].join("\n");
}

/**
 * A shell loop beside the API server that writes those statuses onto every such object every two
 * seconds. A separate process, because the tests run `pulumi` synchronously and block their own event loop.
 */
export function startStandInOperators(kubeconfigPath: string, statuses: readonly OperatorStatus[] = awaitedOperatorStatuses): StandInOperators {
  const dir = mkdtempSync(join(tmpdir(), "llm-platform-operators-"));
  const kubectl = `'${requireRealTool("kubectl")}' --kubeconfig '${kubeconfigPath}'`;
  const patches = statuses.map(({ resource, filter, status }) => {
    const patch = JSON.stringify({ status }).replace(/'/g, "'\\''");
    const list = `${kubectl} get ${resource} --all-namespaces --ignore-not-found -o jsonpath='{range .items[${filter ?? "*"}]}{.metadata.namespace} {.metadata.name}{"\\n"}{end}'`;
    return `${list} 2>/dev/null | while read -r ns name; do [ -n "$name" ] && ${kubectl} patch ${resource} -n "$ns" "$name" --subresource=status --type=merge -p '${patch}' >/dev/null; done`;
  });
  const script = `while :; do\n${patches.join("\n")}\n${certificateAuthorityStandIn(kubectl, dir)}\nsleep 2\ndone`;
  const daemon = startDaemon("stand-in operators", "sh", ["-c", script], join(dir, "operators.log"));
  return {
    caCertificate: readFileSync(join(dir, "ca.crt"), "utf8"),
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
