import { join } from "node:path";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { maintenancePolicy } from "../components/cluster/gke";
import { gkeKubeconfig } from "../components/cluster/gke/kubeconfig";
import { serviceAccountId } from "../components/cluster/gke/identity";
import { gpuNodeConventions } from "../components/cluster/types";
import { readStackFile } from "../scripts/lib/stack-file";
import { synthesize, type SynthResource, type SynthResult } from "../scripts/lib/synthesize";
import { errorsOf, validateStack, type Mutation } from "./support/config";
import { byName, ofType, repoRoot, synthStack } from "./support/synth";

const stackFile = join(repoRoot, "Pulumi.gke-dev.yaml");
const stackConfig = (parse(readFileSync(stackFile, "utf8")) as { config: Record<string, unknown> }).config;
const clusterConfig = stackConfig["llm-platform:cluster"] as {
  project: string;
  projectNumber: string;
  region: string;
  nodeZones: string[];
  network?: Record<string, string>;
  authorizedNetworks: { name: string; cidr: string }[];
  gpuPools: { name: string; machineType: string; accelerator: { type: string; count: number }; minSize: number; maxSize: number; spot: boolean }[];
};

/**
 * The committed gke-dev stack with a private endpoint and protection on, plus two Workload Identity
 * grants: a small program around the real cluster component, since no add-on calls grant() yet.
 */
async function synthVariant(): Promise<SynthResult> {
  const stack = readStackFile(stackFile);
  const cluster = { ...JSON.parse(stack.config["llm-platform:cluster"]!), privateEndpoint: true, authorizedNetworks: [], protect: true };
  const config = { ...stack.config, "llm-platform:cluster": JSON.stringify(cluster) };
  const result = await synthesize("gke-variant", { config, secretKeys: stack.secretKeys }, async () => {
    vi.resetModules();
    const pulumi = await import("@pulumi/pulumi");
    const { loadConfig } = await import("../stacks/config");
    const { createCluster } = await import("../stacks/cluster");
    const platform = createCluster("llm-gke-variant", loadConfig(), {});
    const consumer = new pulumi.ComponentResource("test:addon:Consumer", "llm-gke-variant-pipeline");
    const grant = (name: string, bucketAccess: "read" | "readwrite") =>
      platform.identity.grant(`llm-gke-variant-pipeline-${name}`, { namespace: "ml", serviceAccountName: name, bucketAccess }, consumer);
    return {
      default: {
        reader: grant("reader", "read"),
        writer: grant("writer", "readwrite"),
        kubeconfig: pulumi.unsecret(platform.kubeconfig),
        storageClassName: platform.storageClassName,
        gpuPools: platform.gpuPools,
        identityKind: platform.identity.kind,
        bucket: platform.objectStore?.bucket,
      },
    };
  });
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result;
}

let dev: SynthResult;
let variant: SynthResult;
beforeAll(async () => {
  dev = await synthStack("gke-dev");
  variant = await synthVariant();
});

/** The node pools' service account (add-ons' Workload Identity grants add more accounts). */
const nodeAccount = (result: SynthResult): SynthResource =>
  ofType(result, "gcp:serviceaccount/account:Account").find((account) => account.name.endsWith("-nodes"))!;

const one = (result: SynthResult, type: string): SynthResource => {
  const found = ofType(result, type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
};
// Synthesized inputs are untyped JSON; the assertions below check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const inputs = (resource: SynthResource) => resource.inputs as Record<string, any>;
const clusterOf = (result: SynthResult) => inputs(one(result, "gcp:container/cluster:Cluster"));

describe("the GCP provider", () => {
  it("is explicit, takes project and region from config, and carries every GCP resource", () => {
    const provider = one(dev, "pulumi:providers:gcp");
    expect(inputs(provider)).toMatchObject({ project: clusterConfig.project, region: clusterConfig.region });
    const gcpResources = dev.resources.filter((r) => r.type.startsWith("gcp:"));
    expect(gcpResources.length).toBeGreaterThan(10);
    for (const resource of gcpResources) expect(resource.provider, resource.name).toBe(provider.urn);
  });

  it("is the only way to reach GCP: default providers are disabled in Pulumi.yaml", () => {
    const project = parse(readFileSync(join(repoRoot, "Pulumi.yaml"), "utf8")) as { config: Record<string, { value: unknown }> };
    expect(project.config["pulumi:disable-default-providers"]!.value).toEqual(["*"]);
  });
});

describe("network", () => {
  it("is a custom-mode VPC with a node subnet and secondary ranges for pods and services", () => {
    expect(inputs(one(dev, "gcp:compute/network:Network"))).toMatchObject({ autoCreateSubnetworks: false });
    const subnet = inputs(one(dev, "gcp:compute/subnetwork:Subnetwork"));
    expect(subnet).toMatchObject({ region: "us-central1", ipCidrRange: "10.10.0.0/20", privateIpGoogleAccess: true });
    expect(subnet.secondaryIpRanges).toEqual([
      { rangeName: "pods", ipCidrRange: "10.20.0.0/14" },
      { rangeName: "services", ipCidrRange: "10.30.0.0/20" },
    ]);
    const cluster = clusterOf(dev);
    expect(cluster.networkingMode).toBe("VPC_NATIVE");
    expect(cluster.ipAllocationPolicy).toEqual({ clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
    expect(cluster.subnetwork).toBe(`${byName(dev, "llm-gke-dev-nodes").name}-id`);
  });

  it("gives private nodes a way out through Cloud Router and Cloud NAT for the node subnet only", () => {
    const router = one(dev, "gcp:compute/router:Router");
    const nat = inputs(one(dev, "gcp:compute/routerNat:RouterNat"));
    expect(nat).toMatchObject({ region: "us-central1", sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS" });
    expect(nat.subnetworks).toEqual([{ name: "llm-gke-dev-nodes-id", sourceIpRangesToNats: ["ALL_IP_RANGES"] }]);
    expect(router.name).toBe("llm-gke-dev-router");
    expect(clusterOf(dev).privateClusterConfig).toMatchObject({ enablePrivateNodes: true, masterIpv4CidrBlock: "172.16.0.0/28" });
  });

  it("opens a public endpoint only to the configured authorized networks", () => {
    const cluster = clusterOf(dev);
    expect(cluster.privateClusterConfig.enablePrivateEndpoint).toBe(false);
    expect(cluster.masterAuthorizedNetworksConfig.cidrBlocks).toEqual(
      clusterConfig.authorizedNetworks.map((entry) => ({ displayName: entry.name, cidrBlock: entry.cidr })),
    );
  });

  it("keeps the endpoint private when privateEndpoint is true", () => {
    const cluster = clusterOf(variant);
    expect(cluster.privateClusterConfig).toMatchObject({ enablePrivateNodes: true, enablePrivateEndpoint: true });
    expect(cluster.masterAuthorizedNetworksConfig).toEqual({ cidrBlocks: [] });
  });
});

describe("cluster", () => {
  it("follows a release channel from a pinned minimum version", () => {
    expect(clusterOf(dev)).toMatchObject({ releaseChannel: { channel: "REGULAR" }, minMasterVersion: "1.34", location: "us-central1" });
  });

  it("enables Workload Identity, Shielded nodes, and neither legacy ABAC nor client certificates", () => {
    expect(clusterOf(dev)).toMatchObject({
      workloadIdentityConfig: { workloadPool: `${clusterConfig.project}.svc.id.goog` },
      enableShieldedNodes: true,
      enableLegacyAbac: false,
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
    });
  });

  it("encrypts Secrets with a rotating Cloud KMS key that the GKE service agent may use", () => {
    const keyRing = one(dev, "gcp:kms/keyRing:KeyRing");
    expect(inputs(keyRing)).toMatchObject({ project: clusterConfig.project, location: clusterConfig.region });
    const key = one(dev, "gcp:kms/cryptoKey:CryptoKey");
    expect(inputs(key)).toMatchObject({ keyRing: `${keyRing.name}-id`, purpose: "ENCRYPT_DECRYPT", rotationPeriod: "7776000s" });
    expect(clusterOf(dev).databaseEncryption).toEqual({ state: "ENCRYPTED", keyName: `${key.name}-id` });
    const grant = one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember");
    expect(inputs(grant)).toEqual({
      cryptoKeyId: `${key.name}-id`,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: `serviceAccount:service-${clusterConfig.projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
    });
    // GKE checks the key when it creates the cluster: the grant must exist first.
    expect(one(dev, "gcp:container/cluster:Cluster").dependsOn).toContain(grant.urn);
  });

  it("logs and monitors, and enforces network policy with Dataplane V2", () => {
    const cluster = clusterOf(dev);
    expect(cluster.loggingConfig.enableComponents).toEqual(expect.arrayContaining(["SYSTEM_COMPONENTS", "APISERVER"]));
    expect(cluster.monitoringConfig.enableComponents).toContain("SYSTEM_COMPONENTS");
    expect(cluster.loggingService).toBeUndefined();
    expect(cluster.datapathProvider).toBe("ADVANCED_DATAPATH");
    // Calico network policy and Dataplane V2 are mutually exclusive.
    expect(cluster.networkPolicy).toBeUndefined();
  });

  it("removes the default node pool, which never runs as the Compute Engine default account", () => {
    const cluster = clusterOf(dev);
    expect(cluster).toMatchObject({ removeDefaultNodePool: true, initialNodeCount: 1 });
    expect(cluster.nodeConfig.serviceAccount).toBe(inputs(nodeAccount(dev)).accountId + `@${clusterConfig.project}.iam.gserviceaccount.com`);
  });

  it("is deletable in dev and protected (and GKE deletion-protected) when cluster.protect is set", () => {
    expect(clusterOf(dev).deletionProtection).toBe(false);
    expect(clusterOf(variant).deletionProtection).toBe(true);
    for (const type of ["gcp:container/cluster:Cluster", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "gcp:storage/bucket:Bucket"]) {
      expect(one(dev, type).protect, type).toBe(false);
      expect(one(variant, type).protect, type).toBe(true);
    }
  });
});

describe("first deploy ordering", () => {
  it("lets the private control plane reach the nodes' webhook ports (KEDA 6443, ingress-nginx 8443, ECK 9443)", () => {
    const [rule] = ofType(dev, "gcp:compute/firewall:Firewall");
    expect(inputs(rule!)).toMatchObject({
      direction: "INGRESS",
      sourceRanges: [clusterConfig.network?.masterCidr ?? "172.16.0.0/28"],
      allows: [{ protocol: "tcp", ports: ["6443", "8443", "9443"] }],
    });
    expect(inputs(rule!).targetServiceAccounts).toEqual([`${inputs(nodeAccount(dev)).accountId}@${clusterConfig.project}.iam.gserviceaccount.com`]);
  });

  it("starts Kubernetes work only once the system pool has nodes and the webhook ports are open", () => {
    const provider = ofType(dev, "pulumi:providers:kubernetes")[0]!;
    const waitsOn = provider.dependsOn.map((urn) => urn.split("::").pop());
    expect(waitsOn).toEqual(expect.arrayContaining(["llm-gke-dev-system", "llm-gke-dev-cp-webhooks"]));
  });

  it("binds Workload Identity only after the cluster has created the project's identity pool", () => {
    const bindings = ofType(dev, "gcp:serviceaccount/iAMMember:IAMMember").filter((r) => r.name.endsWith("-wi"));
    expect(bindings.length).toBeGreaterThan(0);
    const cluster = one(dev, "gcp:container/cluster:Cluster").urn;
    for (const binding of bindings) expect(binding.dependsOn, binding.name).toContain(cluster);
  });
});

describe("node pools", () => {
  const pools = () => ofType(dev, "gcp:container/nodePool:NodePool");
  const nodeAccountEmail = () => `${inputs(nodeAccount(dev)).accountId}@${clusterConfig.project}.iam.gserviceaccount.com`;

  it("are a system pool plus one pool per configured GPU pool, all auto-upgraded and auto-repaired", () => {
    expect(pools().map((pool) => pool.name).sort()).toEqual(["llm-gke-dev-gpu-l4", "llm-gke-dev-system"]);
    for (const pool of pools()) {
      expect(inputs(pool)).toMatchObject({ cluster: "llm-gke-dev", location: "us-central1", management: { autoRepair: true, autoUpgrade: true } });
      expect(inputs(pool).nodeLocations).toEqual(clusterConfig.nodeZones);
    }
    expect(inputs(byName(dev, "llm-gke-dev-system")).autoscaling).toEqual({ minNodeCount: 1, maxNodeCount: 2 });
  });

  it("attach the configured accelerator with a GKE-installed driver to a matching machine type", () => {
    for (const config of clusterConfig.gpuPools) {
      const nodeConfig = inputs(byName(dev, `llm-gke-dev-gpu-${config.name}`)).nodeConfig;
      expect(nodeConfig.machineType).toBe(config.machineType);
      expect(nodeConfig.guestAccelerators).toEqual([
        { type: config.accelerator.type, count: config.accelerator.count, gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" } },
      ]);
      expect(nodeConfig.spot).toBe(config.spot);
    }
  });

  it("scale GPU pools from zero, and taint and label their nodes", () => {
    for (const config of clusterConfig.gpuPools) {
      const pool = inputs(byName(dev, `llm-gke-dev-gpu-${config.name}`));
      expect(pool.autoscaling).toMatchObject({ totalMinNodeCount: 0, totalMaxNodeCount: config.maxSize });
      expect(pool.nodeConfig.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
      expect(pool.nodeConfig.labels).toEqual({ [gpuNodeConventions.poolLabel]: config.name });
    }
  });

  it("run Shielded, on the GKE metadata server, as a dedicated service account", () => {
    for (const pool of pools()) {
      const nodeConfig = inputs(pool).nodeConfig;
      expect(nodeConfig.shieldedInstanceConfig).toEqual({ enableSecureBoot: true, enableIntegrityMonitoring: true });
      expect(nodeConfig.workloadMetadataConfig).toEqual({ mode: "GKE_METADATA" });
      expect(nodeConfig.serviceAccount).toBe(nodeAccountEmail());
      expect(nodeConfig.serviceAccount).not.toMatch(/compute@developer\.gserviceaccount\.com|^default$/);
    }
  });

  it("give the node service account exactly the least-privilege roles, on the project", () => {
    const members = ofType(dev, "gcp:projects/iAMMember:IAMMember").map(inputs);
    expect(members.map((member) => member.role).sort()).toEqual(["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]);
    for (const member of members) expect(member).toMatchObject({ project: clusterConfig.project, member: `serviceAccount:${nodeAccountEmail()}` });
  });

  it("are upgraded only inside the maintenance window (default: weekends 02:00-10:00 UTC)", () => {
    expect(clusterOf(dev).maintenancePolicy).toEqual({
      recurringWindow: { startTime: "2026-01-03T02:00:00Z", endTime: "2026-01-03T10:00:00Z", recurrence: "FREQ=WEEKLY;BYDAY=SA,SU" },
      maintenanceExclusions: [],
    });
    const exclusion = { name: "launch", startTime: "2026-03-01T00:00:00Z", endTime: "2026-03-15T00:00:00Z", scope: "NO_MINOR_OR_NODE_UPGRADES" };
    expect(maintenancePolicy({ window: { startTime: "a", endTime: "b", recurrence: "FREQ=DAILY" }, exclusions: [exclusion] }).maintenanceExclusions).toEqual([
      { exclusionName: "launch", startTime: "2026-03-01T00:00:00Z", endTime: "2026-03-15T00:00:00Z", exclusionOptions: { scope: "NO_MINOR_OR_NODE_UPGRADES" } },
    ]);
  });

  it("leave the device plugin to GKE: NVIDIA's chart is not installed", () => {
    const charts = ofType(dev, "kubernetes:helm.sh/v3:Release").map((release) => inputs(release).chart);
    expect(charts).not.toContain("nvidia-device-plugin");
    expect(charts.length).toBeGreaterThan(0);
  });
});

describe("the cluster interface", () => {
  it("tells GPU pods to select the pool label and tolerate the GPU taint whatever its value", () => {
    expect(variant.outputs.gpuPools).toEqual([
      {
        name: "l4",
        gpusPerNode: 1,
        scheduling: {
          nodeSelector: { [gpuNodeConventions.poolLabel]: "l4" },
          tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        },
      },
    ]);
    expect(variant.outputs.storageClassName).toBe("standard-rwo");
  });

  it("reaches a private control plane through its IAM-gated DNS endpoint, never the private IP", () => {
    expect(clusterOf(variant).controlPlaneEndpointsConfig).toEqual({ dnsEndpointConfig: { allowExternalTraffic: true } });
    const kubeconfig = JSON.parse(variant.outputs.kubeconfig as string);
    // The mock's DNS endpoint; GKE serves it with a publicly trusted certificate, so no CA is pinned.
    expect(kubeconfig.clusters[0].cluster).toEqual({ server: "https://gke-mockllmgkevariant-123456789012.us-central1.gke.goog" });
    expect(JSON.stringify(kubeconfig)).not.toContain("192.0.2.10");
  });

  it("gives a kubeconfig that authenticates with gke-gcloud-auth-plugin and holds no credential", () => {
    const kubeconfig = JSON.parse(variant.outputs.kubeconfig as string);
    expect(kubeconfig.users[0].user).toEqual({ exec: expect.objectContaining({ command: "gke-gcloud-auth-plugin", apiVersion: "client.authentication.k8s.io/v1beta1" }) });
    expect(JSON.stringify(kubeconfig)).not.toMatch(/token|client-key|password/);
    expect(JSON.parse(gkeKubeconfig({ clusterName: "c", endpoint: "e", caCertificate: "x" }))["current-context"]).toBe("c");
  });

  it("on destroy, deletes load balancers and disks after every Kubernetes resource and before the nodes go", () => {
    const teardown = one(dev, "command:local:Command");
    expect(inputs(teardown).delete).toMatch(/kubectl delete persistentvolumeclaims/);
    expect(teardown.dependsOn).toContain(byName(dev, "llm-gke-dev-system").urn);
    expect(one(dev, "pulumi:providers:kubernetes").dependsOn).toContain(teardown.urn);
  });

  it("puts every Kubernetes resource on the cluster's own provider", () => {
    const provider = one(dev, "pulumi:providers:kubernetes");
    expect(provider.parent).toBe(one(dev, "llm-platform:cluster:Gke").urn);
    const kubernetes = dev.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(kubernetes.length).toBeGreaterThan(0);
    for (const resource of kubernetes) expect(resource.provider, resource.name).toBe(provider.urn);
  });

  it("outputs the cluster name, a secret kubeconfig and the bucket URL", () => {
    expect(dev.outputs).toMatchObject({ clusterName: "llm-gke-dev", kubeconfig: "[secret]", objectStoreUrl: "gs://llm-gke-dev-models" });
  });
});

describe("storage", () => {
  it("is one private, versioned GCS bucket with uniform access in the stack's region", () => {
    const bucket = inputs(one(dev, "gcp:storage/bucket:Bucket"));
    expect(bucket).toMatchObject({
      location: "US-CENTRAL1",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: true,
    });
    expect(inputs(one(variant, "gcp:storage/bucket:Bucket")).forceDestroy).toBe(false);
  });
});

describe("Workload Identity grants", () => {
  const grantResources = (suffix: string) => variant.resources.filter((r) => r.name.startsWith(`llm-gke-variant-pipeline-${suffix}`));

  it.each([
    ["reader", "roles/storage.objectViewer"],
    ["writer", "roles/storage.objectAdmin"],
  ])("%s: own service account, impersonable by one Kubernetes service account, with %s on the stack's bucket only", (name, role) => {
    const resources = grantResources(name);
    expect(resources.map((r) => r.type).sort()).toEqual([
      "gcp:serviceaccount/account:Account",
      "gcp:serviceaccount/iAMMember:IAMMember",
      "gcp:storage/bucketIAMMember:BucketIAMMember",
    ]);
    const account = inputs(resources.find((r) => r.type === "gcp:serviceaccount/account:Account")!);
    const email = `${account.accountId}@${clusterConfig.project}.iam.gserviceaccount.com`;
    expect(inputs(resources.find((r) => r.type === "gcp:serviceaccount/iAMMember:IAMMember")!)).toEqual({
      serviceAccountId: `projects/${clusterConfig.project}/serviceAccounts/${email}`,
      role: "roles/iam.workloadIdentityUser",
      member: `serviceAccount:${clusterConfig.project}.svc.id.goog[ml/${name}]`,
    });
    expect(inputs(resources.find((r) => r.type === "gcp:storage/bucketIAMMember:BucketIAMMember")!)).toEqual({
      bucket: variant.outputs.bucket,
      role,
      member: `serviceAccount:${email}`,
    });
    expect(variant.outputs[name]).toEqual({ "iam.gke.io/gcp-service-account": email });
    const consumer = variant.resources.find((r) => r.name === "llm-gke-variant-pipeline")!;
    const gcpProvider = one(variant, "pulumi:providers:gcp");
    for (const resource of resources) {
      expect(resource.parent).toBe(consumer.urn);
      expect(resource.provider).toBe(gcpProvider.urn);
    }
  });

  it("never grants storage on the project, only on the bucket", () => {
    const projectRoles = ofType(variant, "gcp:projects/iAMMember:IAMMember").map((member) => inputs(member).role as string);
    expect(projectRoles.filter((role) => role.startsWith("roles/storage."))).toEqual([]);
  });

  it("derives valid, distinct service account ids from long names", () => {
    const ids = ["llm-gke-prod-argo-workflows-artifacts-writer", "llm-gke-prod-argo-workflows-artifacts-reader", "ab"].map(serviceAccountId);
    for (const id of ids) expect(id).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
    expect(new Set(ids).size).toBe(3);
  });
});

// Each row: what a user got wrong in Pulumi.gke-dev.yaml, the key path the message must name, and words it must contain.
const pool = (key: string): (string | number)[] => ["cluster", "gpuPools", 0, key];
const mistakes: [string, Mutation[], string, RegExp][] = [
  ["maintenance exclusion that ends before it starts", [{ set: ["cluster", "maintenance"], to: { exclusions: [{ name: "x", startTime: "2026-03-02T00:00:00Z", endTime: "2026-03-01T00:00:00Z" }] } }], "llm-platform:cluster.maintenance.exclusions[0].endTime", /must be after startTime/],
  ["maintenance window that is not an RRULE", [{ set: ["cluster", "maintenance"], to: { window: { startTime: "2026-01-03T02:00:00Z", endTime: "2026-01-03T10:00:00Z", recurrence: "weekends" } } }], "llm-platform:cluster.maintenance.window.recurrence", /RRULE/],
  ["accelerator not available on the machine family", [{ set: pool("machineType"), to: "a2-highgpu-1g" }], "llm-platform:cluster.gpuPools[0].machineType", /nvidia-l4 is only available on g2 machine types, not a2/],
  ["GPU pool without an accelerator", [{ remove: pool("accelerator") }], "llm-platform:cluster.gpuPools[0].accelerator", /got nothing; required: GKE attaches GPUs only through an accelerator/],
  ["GPU count the machine type does not carry", [{ set: [...pool("accelerator"), "count"], to: 2 }], "llm-platform:cluster.gpuPools[0].accelerator.count", /g2-standard-8 comes with exactly 1 x nvidia-l4/],
  ["A100 40GB on an 80GB machine", [{ set: pool("machineType"), to: "a2-ultragpu-1g" }, { set: [...pool("accelerator"), "type"], to: "nvidia-tesla-a100" }], "llm-platform:cluster.gpuPools[0].accelerator.type", /a2-ultragpu-1g comes with nvidia-a100-80gb/],
  ["machine size that has no GPU", [{ set: pool("machineType"), to: "g2-standard-6" }], "llm-platform:cluster.gpuPools[0].machineType", /not a GPU machine type of the g2 family; did you mean "g2-standard-\d+"\? Allowed: g2-standard-4/],
  ["unknown accelerator", [{ set: [...pool("accelerator"), "type"], to: "nvidia-t4" }], "llm-platform:cluster.gpuPools[0].accelerator.type", /allowed: "nvidia-l4"/],
  ["unknown driver version", [{ set: [...pool("accelerator"), "driverVersion"], to: "550" }], "llm-platform:cluster.gpuPools[0].accelerator.driverVersion", /allowed: "LATEST", "DEFAULT"/],
  ["public endpoint without authorized networks", [{ set: ["cluster", "authorizedNetworks"], to: [] }], "llm-platform:cluster.authorizedNetworks", /public control-plane endpoint needs at least one authorized network/],
  ["prod control plane open to the internet", [{ set: ["environment"], to: "prod" }, { set: ["cluster", "authorizedNetworks", 0, "cidr"], to: "0.0.0.0/0" }], "llm-platform:cluster.authorizedNetworks[0].cidr", /never opens the control plane to the whole internet/],
  ["prod without protection", [{ set: ["environment"], to: "prod" }], "llm-platform:cluster.protect", /must be true in prod/],
  ["zone outside the region", [{ set: ["cluster", "nodeZones", 1], to: "europe-west4-a" }], "llm-platform:cluster.nodeZones[1]", /europe-west4-a is not in cluster.region us-central1/],
  ["GPU pools in GKE's default zones", [{ set: ["cluster", "nodeZones"], to: [] }], "llm-platform:cluster.nodeZones", /list the zones of us-central1 that have nvidia-l4/],
  ["GPU machine type for the system pool", [{ set: ["cluster", "systemPool"], to: { machineType: "g2-standard-4" } }], "llm-platform:cluster.systemPool.machineType", /g2-standard-4 comes with GPUs; the system pool needs a general-purpose type/],
  ["duplicate zone", [{ set: ["cluster", "nodeZones", 1], to: "us-central1-a" }], "llm-platform:cluster.nodeZones[1]", /duplicate zone/],
  ["pod range overlapping the node subnet", [{ set: ["cluster", "network"], to: { podsCidr: "10.10.8.0/21" } }], "llm-platform:cluster.network.podsCidr", /overlaps network.nodesCidr \(10.10.0.0\/20\)/],
  ["control-plane range that is not a /28", [{ set: ["cluster", "network"], to: { masterCidr: "172.16.0.0/24" } }], "llm-platform:cluster.network.masterCidr", /requires a \/28/],
  ["missing project number", [{ remove: ["cluster", "projectNumber"] }], "llm-platform:cluster.projectNumber", /got nothing/],
  ["project number given as a project id", [{ set: ["cluster", "projectNumber"], to: "llm-platform-dev" }], "llm-platform:cluster.projectNumber", /numeric project number/],
  ["GPU pool minimum above maximum", [{ set: pool("minSize"), to: 3 }], "llm-platform:cluster.gpuPools[0].minSize", /must be <= maxSize/],
];

describe("GKE config mistakes are rejected with the key path and why", () => {
  it("accepts the committed gke-dev stack", () => {
    expect(errorsOf(validateStack("gke-dev"))).toEqual([]);
  });

  it.each(mistakes)("%s", (_kind, mutations, path, words) => {
    const errors = errorsOf(validateStack("gke-dev", mutations));
    const matching = errors.filter((error) => error.startsWith(`${path}:`));
    expect(matching, `errors were:\n${errors.join("\n")}`).not.toHaveLength(0);
    expect(matching.join("\n")).toMatch(words);
  });
});
