import * as k8s from "@pulumi/kubernetes";
import type * as k8sInputs from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";

/** A namespace and the labels of pods in it, as the ingress and monitoring layers describe theirs. */
export interface PeerPods {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

export interface LoggingNetworkPoliciesArgs {
  readonly provider: k8s.Provider;
  readonly namespace: pulumi.Input<string>;
  /** The ECK operator's namespace: it calls the Elasticsearch API to manage the cluster. */
  readonly operatorNamespace: string;
  /** Name of the Kibana resource; ECK labels its pods `kibana.k8s.elastic.co/name: <name>`. */
  readonly kibanaName: string;
  /**
   * The ingress controller's pods, which alone may reach Kibana (and cert-manager's HTTP-01 solver)
   * from outside; none when undefined.
   */
  readonly ingressController?: PeerPods;
  /** Prometheus's pods, which may scrape Fluent Bit; none when undefined. */
  readonly prometheus?: PeerPods;
}

const fromPods = (peer: PeerPods) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": peer.namespace } },
  podSelector: { matchLabels: { ...peer.podLabels } },
});

type PolicySpec = k8sInputs.networking.v1.NetworkPolicySpec;

/** The NetworkPolicy specs of the logging namespace, by name; pure. */
export function loggingNetworkPolicySpecs(args: Omit<LoggingNetworkPoliciesArgs, "provider" | "namespace">): Record<string, PolicySpec> {
  const specs: Record<string, PolicySpec> = {
    // Elasticsearch, Kibana, Fluent Bit and the retention Job talk to each other; nobody else gets in
    // unless a policy below lets them.
    "same-namespace-only": { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] },
    "from-eck-operator": {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.operatorNamespace } } }] }],
    },
  };
  if (args.ingressController) {
    specs["kibana-from-ingress"] = {
      podSelector: { matchLabels: { "kibana.k8s.elastic.co/name": args.kibanaName } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [fromPods(args.ingressController)], ports: [{ protocol: "TCP", port: 5601 }] }],
    };
    // With an ACME issuer, cert-manager proves Kibana's host by running a solver pod here, which the
    // ACME server reaches through the ingress controller; without this the certificate never issues.
    specs["acme-solver-from-ingress"] = {
      podSelector: { matchLabels: { "acme.cert-manager.io/http01-solver": "true" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [fromPods(args.ingressController)], ports: [{ protocol: "TCP", port: 8089 }] }],
    };
  }
  if (args.prometheus) {
    specs["fluent-bit-from-prometheus"] = {
      podSelector: { matchLabels: { "app.kubernetes.io/name": "fluent-bit" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [fromPods(args.prometheus)], ports: [{ protocol: "TCP", port: 2020 }] }],
    };
  }
  return specs;
}

/** Ingress rules for the logging namespace: Elasticsearch holds every pod's logs, so it is closed by default. */
export class LoggingNetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: LoggingNetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:logging:NetworkPolicies", name, {}, opts);
    for (const [policy, spec] of Object.entries(loggingNetworkPolicySpecs(args))) {
      new k8s.networking.v1.NetworkPolicy(
        `${name}-${policy}`,
        { metadata: { name: policy, namespace: args.namespace }, spec },
        { parent: this, provider: args.provider },
      );
    }
    this.registerOutputs({});
  }
}
