/**
 * The pack's exceptions: each entry names exactly what it allows, why, and who approved it.
 * This file is owned by the platform team (.github/CODEOWNERS), so adding an entry is a reviewed
 * pull request; docs/ci-cd.md, "Asking for a policy exception", describes the process.
 */

interface Approval {
  /** Why the exception is needed and why it is safe enough. */
  readonly reason: string;
  /** Who approved it (a team or person) and when, e.g. "platform-team 2026-11". */
  readonly approvedBy: string;
}

/** Host access a workload may have. Names and namespaces accept `*` as a wildcard. */
export interface HostAccessException extends Approval {
  readonly kind: "DaemonSet" | "Deployment" | "StatefulSet" | "Job" | "CronJob" | "Pod" | "ReplicaSet";
  readonly namespace: string;
  readonly name: string;
  readonly privileged?: boolean;
  readonly hostNamespaces?: boolean;
  /** hostPath volumes allowed: each path, or anything below it. */
  readonly hostPaths?: readonly string[];
}

/**
 * A Service of type LoadBalancer that may exist: by chart (Helm values), or by namespace and name of
 * the Service, or of the EnvoyProxy from which Envoy Gateway makes its proxies' Service.
 */
export type LoadBalancerException = Approval &
  ({ readonly chart: string } | { readonly namespace: string; readonly name: string; /** @default "Service" */ readonly kind?: "Service" | "EnvoyProxy" });

export const hostAccessExceptions: readonly HostAccessException[] = [
  {
    kind: "DaemonSet",
    namespace: "logging",
    name: "*fluent-bit*",
    hostPaths: ["/var/log", "/var/lib/docker/containers", "/etc/machine-id", "/var/lib/fluent-bit"],
    reason: "The log collector tails every container's log files on each node (read-only mounts) and keeps its read positions in /var/lib/fluent-bit, so a restart resumes where it stopped.",
    approvedBy: "platform-team 2026-11",
  },
  {
    kind: "DaemonSet",
    namespace: "nvidia-device-plugin",
    name: "*nvidia-device-plugin*",
    hostPaths: ["/var/lib/kubelet/device-plugins"],
    reason: "The device plugin registers GPUs with the kubelet through its device-plugin socket.",
    approvedBy: "platform-team 2026-11",
  },
];

export const loadBalancerExceptions: readonly LoadBalancerException[] = [
  {
    chart: "ingress-nginx",
    reason: "The ingress controller is the one public entry point; everything else is exposed through Ingress.",
    approvedBy: "platform-team 2026-11",
  },
  {
    namespace: "*",
    name: "*ingress-nginx-controller",
    reason: "The same ingress controller Service when its chart is rendered into individual resources.",
    approvedBy: "platform-team 2026-11",
  },
  {
    kind: "EnvoyProxy",
    namespace: "envoy-gateway-system",
    name: "llm-platform-proxy",
    reason: "The Gateway front door: Envoy Gateway gives the platform Gateway's proxies one LoadBalancer Service, shaped per cloud by this EnvoyProxy; everything else is exposed through the Gateway's routes.",
    approvedBy: "platform-team 2026-11",
  },
];

/** Glob match where `*` stands for any run of characters. */
export function globMatch(pattern: string, value: string): boolean {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`).test(value);
}
