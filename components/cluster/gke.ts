import * as gcp from "./gke/gcp-services";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createNodeServiceAccount, GkeWorkloadIdentity } from "./gke/identity";
import { gkeKubeconfig } from "./gke/kubeconfig";
import { createGkeNetwork } from "./gke/network";
import { baseNodeConfig, createNodePools, type GkeGpuPoolArgs, type GkeSystemPoolArgs } from "./gke/node-pools";
import { createTeardown } from "./teardown";
import { gpuNodeConventions, type GpuPool, type ObjectStore, type PlatformCluster } from "./types";

export interface GkeArgs {
  readonly project: string;
  /** Names the GKE service agent, which needs the KMS key for Secrets encryption. */
  readonly projectNumber: string;
  readonly region: string;
  /** Zones of `region` for the node pools. @default [] (GKE's default zones) */
  readonly nodeZones?: readonly string[];
  /** Minimum control-plane version, e.g. "1.34"; the release channel upgrades from there. */
  readonly kubernetesVersion: string;
  /** @default "REGULAR" */
  readonly releaseChannel?: "RAPID" | "REGULAR" | "STABLE";
  readonly network: {
    readonly nodesCidr: string;
    readonly podsCidr: string;
    readonly servicesCidr: string;
    /** The control plane's private /28. */
    readonly masterCidr: string;
  };
  /** CIDRs allowed to reach the control plane. @default [] */
  readonly authorizedNetworks?: readonly { readonly name: string; readonly cidr: string }[];
  /** Control plane reachable only from inside the VPC. @default true */
  readonly privateEndpoint?: boolean;
  readonly systemPool: GkeSystemPoolArgs;
  /** @default [] */
  readonly gpuPools?: readonly GkeGpuPoolArgs[];
  /** When GKE may upgrade, and when not. @default no policy (GKE upgrades any time) */
  readonly maintenance?: {
    readonly window: { readonly startTime: string; readonly endTime: string; readonly recurrence: string };
    readonly exclusions: readonly { readonly name: string; readonly startTime: string; readonly endTime: string; readonly scope: string }[];
  };
  /** Protect the cluster, KMS key and bucket from `pulumi destroy`. @default false */
  readonly protect?: boolean;
}

/** pd-balanced, WaitForFirstConsumer (zonal disks follow the pod's zone) and expandable; GKE ships it. */
export const gkeStorageClass = "standard-rwo";

/** Ports on the nodes the control plane calls: KEDA's metrics API, ingress-nginx and ECK webhooks. */
export const controlPlaneWebhookPorts = ["6443", "8443", "9443"];

/** The cluster's maintenancePolicy from the stack's window and exclusions. */
export function maintenancePolicy(maintenance: NonNullable<GkeArgs["maintenance"]>): gcp.types.input.container.ClusterMaintenancePolicy {
  return {
    recurringWindow: { ...maintenance.window },
    maintenanceExclusions: maintenance.exclusions.map((exclusion) => ({
      exclusionName: exclusion.name,
      startTime: exclusion.startTime,
      endTime: exclusion.endTime,
      exclusionOptions: { scope: exclusion.scope },
    })),
  };
}

/** 90 days: Secrets written after a rotation use the new key version; old versions stay for decryption. */
const keyRotationPeriod = "7776000s";

/**
 * A private, regional GKE Standard cluster with GPU node pools, built from plain `@pulumi/gcp`
 * resources on an explicit provider, plus the stack's GCS bucket and Workload Identity.
 */
export class Gke extends pulumi.ComponentResource implements PlatformCluster {
  readonly clusterName: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly gpuPools: readonly GpuPool[];
  readonly storageClassName = gkeStorageClass;
  readonly identity: GkeWorkloadIdentity;
  readonly objectStore: ObjectStore;
  readonly cluster: gcp.container.Cluster;
  readonly gcpProvider: gcp.Provider;

  constructor(name: string, args: GkeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:cluster:Gke", name, {}, opts);
    const { project, region } = args;
    const protect = args.protect ?? false;
    const zones = args.nodeZones ?? [];

    this.gcpProvider = new gcp.Provider(
      `${name}-gcp`,
      { project, region, defaultLabels: { "llm-platform-stack": name, "managed-by": "pulumi" } },
      { parent: this },
    );
    const gcpOpts: pulumi.CustomResourceOptions = { parent: this, provider: this.gcpProvider };
    const kept = { ...gcpOpts, protect };

    const network = createGkeNetwork(name, { region, ...args.network }, gcpOpts);
    const nodeAccount = createNodeServiceAccount(name, project, gcpOpts);

    // Envelope encryption of Secrets in etcd with a key this project owns (CIS GKE 5.3.1).
    const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { project, location: region }, kept);
    const secretsKey = new gcp.kms.CryptoKey(
      `${name}-secrets`,
      { keyRing: keyRing.id, purpose: "ENCRYPT_DECRYPT", rotationPeriod: keyRotationPeriod },
      kept,
    );
    const gkeAgentKeyAccess = new gcp.kms.CryptoKeyIAMMember(
      `${name}-secrets-gke-agent`,
      {
        cryptoKeyId: secretsKey.id,
        role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
        member: `serviceAccount:service-${args.projectNumber}@container-engine-robot.iam.gserviceaccount.com`,
      },
      gcpOpts,
    );

    const privateEndpoint = args.privateEndpoint ?? true;
    this.cluster = new gcp.container.Cluster(
      `${name}-cluster`,
      {
        name,
        location: region,
        network: network.network.id,
        subnetwork: network.subnet.id,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
          clusterSecondaryRangeName: network.podsRangeName,
          servicesSecondaryRangeName: network.servicesRangeName,
        },
        privateClusterConfig: {
          enablePrivateNodes: true,
          enablePrivateEndpoint: privateEndpoint,
          masterIpv4CidrBlock: args.network.masterCidr,
        },
        // The IAM-gated DNS endpoint: reachable from wherever Pulumi runs, but only by identities with
        // container.clusters.connect, so the IP endpoint can stay private and Pulumi still gets in.
        controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true } },
        masterAuthorizedNetworksConfig: {
          cidrBlocks: (args.authorizedNetworks ?? []).map((entry) => ({ displayName: entry.name, cidrBlock: entry.cidr })),
        },
        releaseChannel: { channel: args.releaseChannel ?? "REGULAR" },
        // Auto-upgrade drains nodes, GPU serving ones included: only inside the window, never in an exclusion.
        ...(args.maintenance ? { maintenancePolicy: maintenancePolicy(args.maintenance) } : {}),
        minMasterVersion: args.kubernetesVersion,
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        enableShieldedNodes: true,
        databaseEncryption: { state: "ENCRYPTED", keyName: secretsKey.id },
        enableLegacyAbac: false,
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        // Control-plane logs only Cloud Logging can see; workload logs go to the platform's own Fluent Bit.
        loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "APISERVER", "CONTROLLER_MANAGER", "SCHEDULER"] },
        // The platform runs its own Prometheus; Managed Prometheus would scrape everything twice.
        monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: false } },
        // Dataplane V2 (Cilium) enforces NetworkPolicy itself; the Calico addon must stay off with it.
        datapathProvider: "ADVANCED_DATAPATH",
        // GKE cannot create a cluster without a pool: it creates a one-node default pool and Pulumi
        // deletes it; that transient pool still runs as the dedicated account, never the Compute default.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: { ...baseNodeConfig(nodeAccount.account.email), machineType: args.systemPool.machineType },
        deletionProtection: protect,
      },
      {
        ...kept,
        // The key must be usable by GKE before the cluster encrypts anything with it.
        dependsOn: [gkeAgentKeyAccess],
        // nodeConfig only shapes the removed default pool; changing it must not replace the cluster.
        ignoreChanges: ["nodeConfig", "initialNodeCount"],
        // The name is fixed (it is what `gcloud container clusters get-credentials` takes), so a
        // replacement must delete first; deletion protection still guards protected stacks.
        deleteBeforeReplace: true,
      },
    );
    this.clusterName = this.cluster.name;

    const pools = createNodePools(
      name,
      {
        cluster: this.cluster,
        location: region,
        zones,
        serviceAccountEmail: nodeAccount.account.email,
        systemPool: args.systemPool,
        gpuPools: args.gpuPools ?? [],
      },
      gcpOpts,
    );

    const bucket = new gcp.storage.Bucket(
      `${name}-models`,
      {
        project,
        location: region.toUpperCase(),
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        versioning: { enabled: true },
        // Old versions of overwritten weights and artifacts are kept for a month, then deleted.
        lifecycleRules: [{ action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 30 } }],
        forceDestroy: !protect,
      },
      kept,
    );
    this.objectStore = {
      kind: "gcs",
      bucket: bucket.name,
      url: pulumi.interpolate`gs://${bucket.name}`,
      region,
    };
    this.identity = new GkeWorkloadIdentity({ project, bucket, provider: this.gcpProvider, cluster: this.cluster });

    // GKE's own rule lets the private control plane reach nodes on 443 and 10250 only; admission
    // webhooks (ingress-nginx 8443, ECK 9443) and KEDA's metrics API (6443) need their ports too.
    const controlPlaneToWebhooks = new gcp.compute.Firewall(
      `${name}-cp-webhooks`,
      {
        project,
        network: network.network.id,
        direction: "INGRESS",
        sourceRanges: [args.network.masterCidr],
        targetServiceAccounts: [nodeAccount.account.email],
        allows: [{ protocol: "tcp", ports: controlPlaneWebhookPorts }],
      },
      gcpOpts,
    );

    // Through the DNS endpoint, whatever privateEndpoint says: the private IP is unreachable from outside
    // the VPC, and authorized networks gate only the IP endpoints.
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.controlPlaneEndpointsConfig])
        .apply(([clusterName, endpoints]) => {
          const endpoint = endpoints.dnsEndpointConfig?.endpoint;
          // A RunError: Pulumi prints the message without a stack trace.
          if (!endpoint) throw new pulumi.RunError(`GKE cluster ${clusterName} has no DNS endpoint; its kubeconfig would point at an address Pulumi may not reach`);
          return gkeKubeconfig({ clusterName, endpoint });
        }),
    );
    // Add-ons wait for nodes to run on and for the webhook ports, not just for the control plane.
    // On destroy, after every Kubernetes resource and before the nodes go: delete the load balancers and
    // persistent disks the cluster made outside Pulumi.
    const teardown = createTeardown(name, { kubeconfig: this.kubeconfig, dependsOn: [pools.system, controlPlaneToWebhooks] }, this);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { parent: this, dependsOn: [pools.system, controlPlaneToWebhooks, teardown] },
    );

    const { taint, poolLabel } = gpuNodeConventions;
    this.gpuPools = (args.gpuPools ?? []).map((pool) => ({
      name: pool.name,
      gpusPerNode: pool.accelerator.count,
      scheduling: {
        nodeSelector: { [poolLabel]: pool.name },
        // "Exists" matches both our taint and the one GKE adds to GPU nodes itself, whatever its value.
        tolerations: [{ key: taint.key, operator: "Exists", effect: taint.effect }],
      },
    }));

    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig, objectStoreUrl: this.objectStore.url });
  }
}
