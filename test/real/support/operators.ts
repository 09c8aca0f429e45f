import { mkdtempSync, rmSync } from "node:fs";
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
 * Kibana health the program awaits (`pulumi.com/waitFor`), the address k3s's ServiceLB gives a
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
  stop(): Promise<void>;
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
  const script = `while :; do\n${patches.join("\n")}\nsleep 2\ndone`;
  const daemon = startDaemon("stand-in operators", "sh", ["-c", script], join(dir, "operators.log"));
  return {
    async stop() {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
