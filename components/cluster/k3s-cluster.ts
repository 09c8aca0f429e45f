import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { kubernetesVersions } from "../versions";
import { kubeconfigExpiryWarning } from "./k3s/kubeconfig-expiry";
import { k3sNodeScript, kubeconfigReadScript, parseSecureTokens, rewriteKubeconfigServer, secureTokensReadScript, type K3sNodePlan } from "./k3s/scripts";
import { noIdentity, s3CompatibleStore, type S3CompatibleStorageArgs } from "./k3s/shared";
import { gpuNodeConventions, type GpuPool, type PlatformCluster } from "./types";

export interface K3sHostArgs {
  /** Address Pulumi reaches the host at over SSH. */
  readonly address: string;
  /** @default "root" */
  readonly user?: string;
  /** @default 22 */
  readonly port?: number;
  /** Expected SSH host key; any key is accepted when unset (config allows that only with insecureAcceptAnyHostKey). */
  readonly hostKey?: string;
  /** @default the host's hostname */
  readonly nodeName?: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface K3sAgentArgs extends K3sHostArgs {
  /** Set on GPU agents: the pool they form, and the GPUs each has. */
  readonly gpu?: { readonly pool: string; readonly gpusPerNode: number };
}

export interface K3sClusterArgs {
  /** 1 server, or 3 for HA with embedded etcd; the first one initialises the cluster. */
  readonly servers: readonly K3sHostArgs[];
  /** @default [] */
  readonly agents?: readonly K3sAgentArgs[];
  /** Address clients and agents reach the API at. @default the first server's address */
  readonly apiAddress?: string;
  /** Secret SSH private key for every host. */
  readonly sshPrivateKey: pulumi.Input<string>;
  /** @default kubernetesVersions.k3s[0] */
  readonly k3sVersion?: string;
  /** Optional S3-compatible bucket; nothing is created for it. */
  readonly objectStorage?: S3CompatibleStorageArgs;
}

/** The k3s RuntimeClass for the NVIDIA container runtime, which k3s creates when it finds the runtime. */
const nvidiaRuntimeClass = "nvidia";

/** Pulumi resource names allow more, but a name from config should read like a host name. */
const resourceSafe = (value: string) => value.replace(/[^A-Za-z0-9.-]+/g, "-");

/** Per-host plans; each depends only on its own host's config and the cluster-wide join address. */
export function k3sNodePlans(args: Pick<K3sClusterArgs, "servers" | "agents" | "apiAddress">): { server: K3sNodePlan[]; agent: K3sNodePlan[] } {
  const first = args.servers[0];
  if (!first) throw new Error("a k3s cluster needs at least one server");
  const firstServerUrl = `https://${first.address}:6443`;
  const apiUrl = `https://${args.apiAddress ?? first.address}:6443`;
  const tlsSans = args.apiAddress ? [args.apiAddress] : [];
  const base = (host: K3sHostArgs) => ({
    address: host.address,
    labels: host.labels ?? {},
    ...(host.nodeName ? { nodeName: host.nodeName } : {}),
    tlsSans,
  });
  return {
    // Servers join through the first server directly: the API address may not route to it yet.
    server: args.servers.map((host, index) => ({ ...base(host), role: "server", ...(index > 0 ? { joinUrl: firstServerUrl } : {}) })),
    agent: (args.agents ?? []).map((host) => ({ ...base(host), role: "agent", joinUrl: apiUrl, ...(host.gpu ? { gpu: host.gpu } : {}) })),
  };
}

/** Installs and hardens k3s over SSH on the given hosts, and fulfils the PlatformCluster contract. */
export class K3sCluster extends pulumi.ComponentResource implements PlatformCluster {
  readonly clusterName: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly gpuPools: readonly GpuPool[];
  readonly storageClassName = "local-path";
  readonly identity = noIdentity;
  readonly objectStore?: PlatformCluster["objectStore"];
  /** One command per host, servers first; exposed for tests and for `dependsOn`. */
  readonly hostCommands: command.remote.Command[];

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:cluster:K3s", name, {}, opts);
    const version = args.k3sVersion ?? kubernetesVersions.k3s[0];
    const commandProvider = new command.Provider(`${name}-command`, {}, { parent: this });
    // Random comes from the provider the stack passes down (default providers are disabled).
    // The server token grants server (etcd, CA key) access: only servers get it. Agents get the agent token.
    const token = new random.RandomPassword(`${name}-token`, { length: 64, special: false }, { parent: this });
    const agentToken = new random.RandomPassword(`${name}-agent-token`, { length: 64, special: false }, { parent: this });
    const sshKey = pulumi.secret(args.sshPrivateKey);
    const plans = k3sNodePlans(args);
    const connectionTo = (host: K3sHostArgs): command.types.input.remote.ConnectionArgs => ({
      host: host.address,
      port: host.port ?? 22,
      user: host.user ?? "root",
      privateKey: sshKey,
      ...(host.hostKey ? { hostKey: host.hostKey } : {}),
    });

    const hostCommand = (host: K3sHostArgs, plan: K3sNodePlan, stdin: pulumi.Output<string>, dependsOn: pulumi.Resource[]) =>
      new command.remote.Command(
        `${name}-${plan.role}-${resourceSafe(host.nodeName ?? host.address)}`,
        {
          connection: connectionTo(host),
          // Everything this host receives is in `create`, built from its own config only: an unchanged
          // host is never touched again, and a changed one re-runs its (idempotent) script.
          create: k3sNodeScript(plan, version),
          stdin: pulumi.secret(stdin),
        },
        { parent: this, provider: commandProvider, dependsOn },
      );

    const first = args.servers[0]!;
    const firstServer = hostCommand(first, plans.server[0]!, pulumi.interpolate`${token.result}\n${agentToken.result}\n`, []);
    // The first server knows the CA; its secure tokens (K10<CA hash>::...) let every other node check
    // that CA before it sends credentials.
    const joinTokens = new command.remote.Command(
      `${name}-join-tokens`,
      { connection: connectionTo(first), create: secureTokensReadScript(), logging: "none", triggers: [firstServer.id] },
      { parent: this, provider: commandProvider, dependsOn: [firstServer], additionalSecretOutputs: ["stdout"] },
    );
    const secureTokens = joinTokens.stdout.apply(parseSecureTokens);
    // Embedded etcd admits one new member at a time, so servers join one after another.
    const servers: command.remote.Command[] = [firstServer];
    args.servers.slice(1).forEach((host, index) => {
      servers.push(hostCommand(host, plans.server[index + 1]!, pulumi.interpolate`${secureTokens.server}\n${agentToken.result}\n`, servers.slice(-1)));
    });
    const agents = (args.agents ?? []).map((host, index) => hostCommand(host, plans.agent[index]!, pulumi.interpolate`${secureTokens.agent}\n`, servers));
    this.hostCommands = [...servers, ...agents];

    const fetch = new command.remote.Command(
      `${name}-kubeconfig`,
      {
        connection: connectionTo(first),
        create: kubeconfigReadScript(),
        logging: "none",
        // A replaced first server may have new credentials.
        triggers: [servers[0]!.id],
      },
      // Waiting for every host means add-ons start on a complete cluster.
      { parent: this, provider: commandProvider, dependsOn: this.hostCommands, additionalSecretOutputs: ["stdout"] },
    );
    const apiUrl = `https://${args.apiAddress ?? first.address}:6443`;
    this.kubeconfig = pulumi.secret(fetch.stdout.apply((text) => rewriteKubeconfigServer(text, apiUrl)));
    // Read once, valid for a year: each run says so in time (the warning names no secret).
    fetch.stdout.apply((text) => {
      const warning = kubeconfigExpiryWarning(text, new Date(), `${name}-kubeconfig`);
      if (warning) void pulumi.log.warn(warning, this);
    });
    this.clusterName = pulumi.output(name);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });

    const pools = new Map<string, number>();
    for (const agent of args.agents ?? []) {
      if (agent.gpu) pools.set(agent.gpu.pool, Math.min(pools.get(agent.gpu.pool) ?? Infinity, agent.gpu.gpusPerNode));
    }
    const { poolLabel, taint } = gpuNodeConventions;
    this.gpuPools = [...pools].map(([pool, gpusPerNode]) => ({
      name: pool,
      gpusPerNode,
      scheduling: {
        nodeSelector: { [poolLabel]: pool },
        tolerations: [{ key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect }],
        runtimeClassName: nvidiaRuntimeClass,
      },
    }));
    this.objectStore = s3CompatibleStore(args.objectStorage);
    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
