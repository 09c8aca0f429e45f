import * as pulumi from "@pulumi/pulumi";

type State = Record<string, unknown>;
type Computed = (name: string, inputs: State) => State;

const mockK3sKubeconfig = [
  "apiVersion: v1",
  "clusters:",
  "- cluster:",
  "    certificate-authority-data: bW9jaw==",
  "    server: https://127.0.0.1:6443",
  "  name: default",
  "contexts:",
  "- context: {cluster: default, user: default}",
  "  name: default",
  "current-context: default",
  "kind: Config",
  "users:",
  "- name: default",
  "  user: {client-certificate-data: bW9jaw==, client-key-data: bW9jaw==}",
  "",
].join("\n");

/**
 * Outputs a real provider would compute, for the resource types whose outputs the program reads.
 * Values are recognisable fakes; secrets are returned as secrets, as the engine would.
 */
const computedOutputs: Record<string, Computed> = {
  "random:index/randomPassword:RandomPassword": (name) => ({
    result: pulumi.secret(`mock-password-${name}`),
    bcryptHash: pulumi.secret(`$2a$10$mockbcrypthashfor${name.replace(/[^a-zA-Z0-9]/g, "")}`),
  }),
  // GCP: names Pulumi would auto-generate, and what GCP computes (a TEST-NET endpoint, a fake CA).
  "gcp:container/cluster:Cluster": (name, inputs) => ({
    name: inputs.name ?? name,
    endpoint: "192.0.2.10",
    masterAuth: { ...(inputs.masterAuth as State | undefined), clusterCaCertificate: Buffer.from(`mock-ca-for-${name}`).toString("base64") },
  }),
  "gcp:storage/bucket:Bucket": (name, inputs) => ({ name: inputs.name ?? name, url: `gs://${String(inputs.name ?? name)}` }),
  "gcp:serviceaccount/account:Account": (_name, inputs) => ({
    name: `projects/${String(inputs.project)}/serviceAccounts/${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`,
    email: `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`,
  }),
  // Only the k3s kubeconfig fetch's stdout is read: a k3s admin kubeconfig, as the first server writes it.
  "command:remote:Command": (name) => ({
    stdout: name.endsWith("-kubeconfig") ? pulumi.secret(mockK3sKubeconfig) : "",
    stderr: "",
  }),
  "kubernetes:helm.sh/v3:Release": (name, inputs) => ({
    status: { name: inputs.name ?? name, namespace: inputs.namespace, status: "deployed", version: inputs.version },
  }),
};

/** Invoke results, for the data sources the program calls. */
const invokeResults: Record<string, (inputs: State) => State> = {};

export const mocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const computed = computedOutputs[args.type]?.(args.name, args.inputs) ?? {};
    return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
  },
  call(args) {
    const result = invokeResults[args.token];
    if (!result) throw new Error(`synth has no mock for invoke ${args.token}; add one in scripts/lib/mocks.ts`);
    return result(args.inputs);
  },
};
