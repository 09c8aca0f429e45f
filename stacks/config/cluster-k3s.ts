import { z } from "zod";
import { dnsLabel, positiveInt, toleration } from "./common";
import { dnsSubdomain, labels, objectStorageEndpoint, s3BucketName } from "./names";

/** How GPU nodes of a cluster we do not build are told apart; given in config because we cannot look. */
export const existingGpuPool = z.strictObject({
  name: dnsLabel,
  nodeSelector: labels.refine((labels) => Object.keys(labels).length > 0, "at least one label").describe("Labels that select this pool's nodes."),
  tolerations: z.array(toleration).default([]).describe("Taints on those nodes that GPU pods must tolerate."),
  gpusPerNode: positiveInt.max(16).describe("GPUs per node (at most 16)."),
  nodes: positiveInt.max(1000).describe("Number of such nodes; serving checks that models fit."),
});

/** Settings both k3s modes share. */
const k3sCommon = {
  provider: z.literal("k3s"),
  installDevicePlugin: z.boolean().default(true).describe("Install the NVIDIA device plugin (false if the cluster already runs one)."),
  objectStorage: z
    .strictObject({
      endpoint: objectStorageEndpoint.describe("The S3 API's base URL: https:// (http:// only outside prod), never s3://."),
      bucket: s3BucketName,
      region: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "a region name such as us-east-1").max(32).default("us-east-1"),
    })
    .optional().describe("Optional S3-compatible object storage for models and pipeline artifacts."),
};

export const k3sExisting = z.strictObject({
  ...k3sCommon,
  mode: z.literal("existing").describe("\"existing\": adopt a running cluster from the `kubeconfig` secret."),
  gpuRuntimeClass: dnsSubdomain.nullable().default("nvidia").describe("RuntimeClass GPU pods use; k3s ships \"nvidia\" when the NVIDIA container runtime is installed."),
  storageClass: dnsSubdomain.default("local-path"),
  gpuPools: z.array(existingGpuPool).default([]),
});

// Values below end up in shell scripts and k3s config files: the patterns keep them to what
// Kubernetes and SSH accept anyway, and the script generator quotes them regardless.
const dnsSubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
export const hostAddress = z
  .string()
  .max(253)
  .refine((value) => ipv4.test(value) || (dnsSubdomainPattern.test(value) && !/^[\d.]+$/.test(value)), "an IPv4 address or a lowercase DNS name");
const sshHost = {
  address: hostAddress.describe("Address Pulumi reaches the host at over SSH; servers also get it in their API certificate."),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a POSIX user name").default("root").describe("SSH user; a user other than root needs passwordless sudo."),
  port: z.int().min(1).max(65535).default(22),
  hostKey: z.string().regex(/^(ssh|ecdsa)-[a-z0-9-]+ [A-Za-z0-9+/=]+$/, "a public host key line such as \"ssh-ed25519 AAAA...\"").optional().describe("Expected SSH host key (ssh-keyscan -t ed25519 <address>); required unless cluster.insecureAcceptAnyHostKey."),
  nodeName: z.string().max(63).regex(dnsSubdomainPattern, "a lowercase DNS name (a Kubernetes node name)").optional().describe("Kubernetes node name; the host's hostname when unset."),
  labels: labels.default({}).describe("Extra node labels, set when the node registers."),
};

export const k3sServer = z.strictObject(sshHost);

export const k3sAgent = z.strictObject({
  ...sshHost,
  gpu: z.boolean().default(false).describe("The host has NVIDIA GPUs: it gets the GPU label and taint, and the NVIDIA runtime is checked."),
  gpuPool: dnsLabel.optional().describe("GPU pool this agent belongs to (required with gpu: true)."),
  gpusPerNode: positiveInt.max(16).optional().describe("GPUs on this host (required with gpu: true)."),
});

export const k3sProvision = z.strictObject({
  ...k3sCommon,
  mode: z.literal("provision").describe("\"provision\": install k3s over SSH on the listed hosts."),
  servers: z.array(k3sServer).describe("1 server, or 3 for HA with embedded etcd; the first one initialises the cluster."),
  agents: z.array(k3sAgent).default([]),
  insecureAcceptAnyHostKey: z.boolean().default(false).describe("Accept any SSH host key on hosts without hostKey: the join tokens and the admin kubeconfig then go to whoever answers on the SSH port. Never in prod."),
  apiAddress: hostAddress.optional().describe("Address clients and agents reach the API at (a VIP or DNS name); the first server's address when unset."),
});

export const k3sCluster = z.discriminatedUnion("mode", [k3sExisting, k3sProvision]);

export type K3sClusterConfig = z.infer<typeof k3sCluster>;
export type K3sProvisionConfig = z.infer<typeof k3sProvision>;
export type K3sServerConfig = z.infer<typeof k3sServer>;
export type K3sAgentConfig = z.infer<typeof k3sAgent>;
