/**
 * The spec of a NetworkPolicy that lets only pods with `clientPodLabels` (in the same namespace) reach
 * the pods with `podLabels`, on one TCP port: a backing store (a database, a cache) that one client uses.
 */
export function onlyClientsSpec(podLabels: Readonly<Record<string, string>>, clientPodLabels: Readonly<Record<string, string>>, port: number) {
  return {
    podSelector: { matchLabels: { ...podLabels } },
    policyTypes: ["Ingress"],
    ingress: [{ from: [{ podSelector: { matchLabels: { ...clientPodLabels } } }], ports: [{ protocol: "TCP", port }] }],
  };
}
