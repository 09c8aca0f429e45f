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
const account = "123456789012";
const mockRegion = "us-east-1";

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
    controlPlaneEndpointsConfig: {
      ...(inputs.controlPlaneEndpointsConfig as State | undefined),
      dnsEndpointConfig: {
        ...((inputs.controlPlaneEndpointsConfig as State | undefined)?.dnsEndpointConfig as State | undefined),
        endpoint: `gke-mock${String(inputs.name ?? name).replace(/[^a-z0-9]/g, "")}-123456789012.us-central1.gke.goog`,
      },
    },
    masterAuth: { ...(inputs.masterAuth as State | undefined), clusterCaCertificate: Buffer.from(`mock-ca-for-${name}`).toString("base64") },
  }),
  "gcp:storage/bucket:Bucket": (name, inputs) => ({ name: inputs.name ?? name, url: `gs://${String(inputs.name ?? name)}` }),
  "gcp:serviceaccount/account:Account": (_name, inputs) => ({
    name: `projects/${String(inputs.project)}/serviceAccounts/${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`,
    email: `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`,
  }),
  // Only the k3s kubeconfig fetch's stdout is read: a k3s admin kubeconfig, as the first server writes it.
  "command:remote:Command": (name) => ({
    stdout: name.endsWith("-kubeconfig")
      ? pulumi.secret(mockK3sKubeconfig)
      : name.endsWith("-join-tokens")
        ? pulumi.secret("K10mockcahash::server:mock-server-secret\nK10mockcahash::node:mock-agent-secret\n")
        : "",
    stderr: "",
  }),
  "kubernetes:helm.sh/v3:Release": (name, inputs) => ({
    status: { name: inputs.name ?? name, namespace: inputs.namespace, status: "deployed", version: inputs.version },
  }),
  "aws:eks/cluster:Cluster": (name, inputs) => ({
    vpcConfig: { ...(inputs.vpcConfig as State | undefined), clusterSecurityGroupId: `sg-mock-${name}`, vpcId: "vpc-mock" },
    arn: `arn:aws:eks:${mockRegion}:${account}:cluster/${String(inputs.name ?? name)}`,
    endpoint: `https://MOCK${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}.gr7.${mockRegion}.eks.amazonaws.com`,
    certificateAuthority: { data: Buffer.from(`mock-ca-for-${name}`).toString("base64") },
    identities: [{ oidcs: [{ issuer: `https://oidc.eks.${mockRegion}.amazonaws.com/id/MOCK${name.toUpperCase().replace(/[^A-Z0-9]/g, "")}` }] }],
  }),
  "aws:iam/role:Role": (name, inputs) => ({ arn: `arn:aws:iam::${account}:role/${String(inputs.name ?? name)}`, name: inputs.name ?? name }),
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (name, inputs) => ({
    arn: `arn:aws:iam::${account}:oidc-provider/${String(inputs.url ?? name).replace(/^https:\/\//, "")}`,
  }),
  "aws:kms/key:Key": (name) => ({ arn: `arn:aws:kms:${mockRegion}:${account}:key/mock-${name}`, keyId: `mock-${name}` }),
  "aws:s3/bucket:Bucket": (name, inputs) => {
    const bucket = String(inputs.bucket ?? `${name}-mock1234`);
    return { bucket, arn: `arn:aws:s3:::${bucket}` };
  },
  "aws:eks/nodeGroup:NodeGroup": (name) => ({
    arn: `arn:aws:eks:${mockRegion}:${account}:nodegroup/${name}`,
    resources: [{ autoscalingGroups: [{ name: `eks-${name}-mock` }] }],
  }),
  "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
};

/** What a `.get()` reads back, for the objects the program reads from the cluster (by type, from the id). */
const readResults: Record<string, (id: string) => State> = {
  // The private CA's root, as cert-manager writes it: a kubernetes.io/tls Secret whose data the provider marks secret.
  "kubernetes:core/v1:Secret": (id) => {
    const pem = `-----BEGIN CERTIFICATE-----\nmock-ca-for-${id}\n-----END CERTIFICATE-----\n`;
    const encoded = Buffer.from(pem).toString("base64");
    return { type: "kubernetes.io/tls", data: pulumi.secret({ "ca.crt": encoded, "tls.crt": encoded, "tls.key": Buffer.from("mock-key").toString("base64") }) };
  },
};

/** Regions of the mocked AWS providers, by provider id, so that invokes answer for the right region. */
const providerRegions = new Map<string, string>();

/** Invoke results, for the data sources the program calls. */
const invokeResults: Record<string, (inputs: State, region: string) => State> = {
  // The recommended AMI release of an EKS AMI type, as AWS publishes it: "<k8s version>-<date>" for
  // AL2023, "<bottlerocket version>-<commit>" for Bottlerocket.
  "aws:ssm/getParameter:getParameter": (inputs) => {
    const name = String(inputs.name);
    const minor = /optimized-ami\/(\d+\.\d+)\//.exec(name)?.[1];
    const value = minor ? `${minor}.0-20260101` : name.includes("/bottlerocket/") ? "1.50.0-mock1234" : "mock-parameter";
    return { name, value, insecureValue: value, type: "String", id: name };
  },
  // Four zones a-d with IDs use1-az1..4 (so "c" is use1-az3, which EKS does not support), honouring
  // excludeZoneIds as AWS does.
  "aws:index/getAvailabilityZones:getAvailabilityZones": (inputs, region) => {
    const excluded = new Set((inputs.excludeZoneIds as string[] | undefined) ?? []);
    const zones = ["a", "b", "c", "d"].map((letter, index) => ({ name: `${region}${letter}`, zoneId: `use1-az${index + 1}` })).filter((zone) => !excluded.has(zone.zoneId));
    return { names: zones.map((zone) => zone.name), zoneIds: zones.map((zone) => zone.zoneId), id: region };
  },
  // Every requested instance type is offered in every zone of the region.
  "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": (inputs, region) => {
    const filters = (inputs.filters as { name: string; values: string[] }[] | undefined) ?? [];
    const types = filters.find((filter) => filter.name === "instance-type")?.values ?? [];
    const pairs = ["a", "b", "c", "d"].flatMap((letter) => types.map((type) => [type, `${region}${letter}`] as const));
    return { instanceTypes: pairs.map(([type]) => type), locations: pairs.map(([, zone]) => zone), locationTypes: pairs.map(() => "availability-zone"), id: region };
  },
  // The deployer: an assumed-role session, whose issuer is the IAM role.
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: account, arn: `arn:aws:sts::${account}:assumed-role/mock-deployer/session`, userId: "AROAMOCK:session", id: account }),
  "aws:iam/getSessionContext:getSessionContext": (inputs) => ({
    arn: inputs.arn,
    issuerArn: `arn:aws:iam::${account}:role/mock-deployer`,
    issuerName: "mock-deployer",
    issuerId: "AROAMOCK",
    sessionName: "session",
    id: String(inputs.arn),
  }),
  "aws:index/getPartition:getPartition": (_inputs, region) => {
    const [partition, dnsSuffix] = region.startsWith("us-gov-") ? ["aws-us-gov", "amazonaws.com"] : region.startsWith("cn-") ? ["aws-cn", "amazonaws.com.cn"] : ["aws", "amazonaws.com"];
    return { partition, dnsSuffix, reverseDnsPrefix: dnsSuffix.split(".").reverse().join("."), id: partition };
  },
};

/**
 * `preview: true` answers like `pulumi preview` of a stack that does not exist yet:
 * - a Kubernetes object's outputs are all unknown, its inputs included (a Namespace's `metadata.name`
 *   too): the cluster does not exist, so its provider's kubeconfig is unknown, and then the engine hands
 *   back an empty property map (pulumi pkg/v3 resource/plugin/provider_plugin.go, Create with preview);
 * - any other resource (AWS, GCP, random) previews as its provider does: inputs known, every value the
 *   provider computes (ids, ARNs, the cluster's endpoint and CA, a password) unknown.
 * Providers keep their inputs and a known id: the engine configures them during preview too.
 */
export function createMocks(options: { preview?: boolean } = {}): pulumi.runtime.Mocks {
  return {
    newResource(args) {
      if (args.type === "pulumi:providers:aws") providerRegions.set(`${args.name}-id`, String(args.inputs.region ?? mockRegion));
      if (args.id !== undefined && args.type in readResults) {
        // A `.get()` of an existing object; in a preview of a new stack the engine skips it (unknown).
        return options.preview ? { id: "", state: {} } : { id: args.id, state: readResults[args.type]!(args.id) };
      }
      const computed = computedOutputs[args.type]?.(args.name, args.inputs) ?? {};
      if (options.preview && !args.type.startsWith("pulumi:providers:")) {
        if (args.type.startsWith("kubernetes:")) return { id: "", state: {} };
        const unknown = Object.fromEntries(Object.keys(computed).map((key) => [key, pulumi.runtime.unknownValue]));
        return { id: "", state: { ...args.inputs, ...unknown } };
      }
      return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
    },
    call(args) {
      const result = invokeResults[args.token];
      if (!result) throw new Error(`synth has no mock for invoke ${args.token}; add one in scripts/lib/mocks.ts`);
      const providerId = args.provider ? args.provider.slice(args.provider.lastIndexOf("::") + 2) : "";
      return result(args.inputs, providerRegions.get(providerId) ?? mockRegion);
    },
  };
}
