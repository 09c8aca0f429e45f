/**
 * Pod Security admission labels for a namespace. k3s provision mode (and many existing clusters)
 * enforce "baseline" by default, which rejects node agents that need the host: they get "privileged"
 * in their own namespace only, and nothing else does.
 */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  return { "pod-security.kubernetes.io/enforce": level, "pod-security.kubernetes.io/audit": level };
}

/**
 * What Pod Security "restricted" asks of every container (with `seccompProfile: RuntimeDefault` and
 * `runAsNonRoot` on the pod): the platform's own containers carry it whatever their namespace enforces.
 */
export const restrictedContainerSecurity = (): { allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } } => ({
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
});
