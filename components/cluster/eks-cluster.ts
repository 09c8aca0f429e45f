import * as aws from "./eks/aws-services";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterAutoscalerImageTags, eksAddonVersions, type EksAddonName } from "../versions";
import { eksGpuInstances, instanceStoreWriteMiBps } from "../cloud-catalog";
import { createClusterRoles, createOidcProvider, IrsaIdentity } from "./eks/identity";
import { createDefaultStorageClass, createModelCacheStorageClass, defaultStorageClassName, eksKubeconfig, modelCacheStorageClassName, installClusterAutoscaler, installDevicePlugin } from "./eks/kubernetes";
import { createNetwork } from "./eks/network";
import { localNvmeLabel } from "../cloud-catalog";
import { createNodeGroup } from "./eks/node-groups";
import { clusterAutoscalerPolicy, poolEphemeralStorageGiB, secretsKeyPolicy, usesLocalNvme } from "./eks/policies";
import { createModelBucket } from "./eks/storage";
import { createTeardown } from "./teardown";
import { gpuNodeConventions, type GpuPool, type ObjectStore, type PlatformCluster } from "./types";

export interface EksGpuPoolArgs {
  readonly name: string;
  readonly instanceTypes: readonly string[];
  /** GPUs on every instance type of the pool (they all have the same count). */
  readonly gpusPerNode: number;
  /** GPU model, e.g. "L4"; becomes a node label. */
  readonly gpuModel: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly spot: boolean;
  readonly diskSizeGiB: number;
  /** gp3 root volume throughput (MiB/s) and IOPS; baseline 125 and 3000. */
  readonly diskThroughputMiBps?: number;
  readonly diskIops?: number;
  readonly amiType: "AL2023_x86_64_NVIDIA" | "BOTTLEROCKET_x86_64_NVIDIA";
  /** The NVMe instance store as one RAID0 volume for images, logs and emptyDir. @default "raid0" on AL2023, "none" on Bottlerocket */
  readonly localStorage?: "raid0" | "none";
}

export interface EksClusterArgs {
  readonly region: string;
  readonly kubernetesVersion: keyof typeof eksAddonVersions;
  readonly availabilityZones: number;
  readonly vpcCidr: string;
  readonly natGateways: "single" | "perAz";
  /** CIDRs that may reach the public API endpoint; empty keeps the endpoint private only. */
  readonly publicAccessCidrs: readonly string[];
  /** Networks routed into the VPC that reach the private endpoint (where Pulumi runs). @default [] */
  readonly privateAccessCidrs?: readonly string[];
  /** IAM roles granted cluster-admin through access entries. */
  readonly adminRoleArns: readonly string[];
  /** The IAM role that runs `pulumi up` (CI and humans assume it); unset: the caller's own role. */
  readonly deployerRoleArn?: string;
  readonly systemPool: { readonly instanceType: string; readonly minSize: number; readonly maxSize: number };
  readonly gpuPools: readonly EksGpuPoolArgs[];
  /** Protect the cluster, its KMS key and the bucket from deletion. */
  readonly protect: boolean;
  /** Days the control-plane logs are kept. @default 90 */
  readonly logRetentionDays?: number;
  /** gp3 throughput and IOPS of the volumes that cache model weights. @default gp3's baseline: 125 MiB/s, 3000 IOPS */
  readonly modelCacheVolume?: { readonly throughputMiBps: number; readonly iops: number };
}

const systemNamespace = "kube-system";


/**
 * The caller's IAM role as the deployer, refused when it is also one of adminRoleArns: EKS takes one
 * access entry per principal, so the second would fail the update. Config validation catches this for a
 * configured deployerRoleArn; the caller is known only once the invoke answers (at preview too).
 */
export function callerAsDeployer(arn: string, adminRoleArns: readonly string[]): string {
  const index = adminRoleArns.indexOf(arn);
  if (index < 0) return arn;
  throw new pulumi.RunError(
    `llm-platform:cluster.adminRoleArns[${index}]: got "${arn}"; that is the role running pulumi up, which gets its own access entry as the deployer, ` +
      "and EKS allows one access entry per principal: remove it from adminRoleArns (it stays cluster-admin as the deployer), or name the deployer with cluster.deployerRoleArn",
  );
}

/**
 * An EKS cluster built from plain AWS resources (not @pulumi/eks), so every piece is visible, testable
 * and hardened: private nodes, KMS-encrypted Secrets, audit logs, IMDSv2, access entries instead of the
 * aws-auth ConfigMap, GPU pools that scale from zero, and IRSA for everything that calls AWS.
 */
export class EksCluster extends pulumi.ComponentResource implements PlatformCluster {
  readonly clusterName: pulumi.Output<string>;
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly gpuPools: readonly GpuPool[];
  readonly storageClassName = defaultStorageClassName;
  readonly modelCacheStorage: { readonly storageClassName: string; readonly throughputMiBps: number };
  readonly identity: IrsaIdentity;
  readonly objectStore: ObjectStore;
  readonly oidcIssuerUrl: pulumi.Output<string>;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:cluster:Eks", name, {}, opts);
    const awsProvider = new aws.Provider(`${name}-aws`, { region: args.region as aws.Region, defaultTags: { tags: { "llm-platform/cluster": name } } }, { parent: this });
    const awsOpts = { parent: this, provider: awsProvider };

    const bucket = createModelBucket(name, args.protect, awsOpts);
    this.objectStore = { kind: "s3", bucket: bucket.bucket, url: pulumi.interpolate`s3://${bucket.bucket}`, region: args.region };

    const secretsKey = new aws.kms.Key(`${name}-secrets`, {
      description: `Envelope encryption of Kubernetes Secrets in EKS cluster ${name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    }, { ...awsOpts, protect: args.protect });
    new aws.kms.Alias(`${name}-secrets`, { name: `alias/${name}-secrets`, targetKeyId: secretsKey.keyId }, awsOpts);

    // ARNs of AWS managed policies differ per partition (aws, aws-us-gov, aws-cn); the provider knows which.
    const partition = aws.getPartitionOutput({}, awsOpts);
    const { clusterRole, nodeRole, attachments } = createClusterRoles(name, partition.partition, awsOpts);
    const clusterKeyAccess = new aws.iam.RolePolicy(`${name}-cluster-kms`, {
      role: clusterRole.id,
      policy: secretsKey.arn.apply((arn) => JSON.stringify(secretsKeyPolicy(arn))),
    }, awsOpts);
    const network = createNetwork(name, {
      clusterName: name,
      vpcCidr: args.vpcCidr,
      availabilityZones: args.availabilityZones,
      natGateways: args.natGateways,
      region: args.region,
      reverseDnsPrefix: partition.reverseDnsPrefix,
      pools: [
        { name: "system", instanceTypes: [args.systemPool.instanceType] },
        ...args.gpuPools.map((pool) => ({ name: `gpuPools ${pool.name}`, instanceTypes: pool.instanceTypes })),
      ],
    }, awsOpts);

    // Created before the cluster so that EKS writes into a group with a retention, not an unbounded one.
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
      name: `/aws/eks/${name}/cluster`,
      retentionInDays: args.logRetentionDays ?? 90,
    }, awsOpts);

    const publicEndpoint = args.publicAccessCidrs.length > 0;
    const cluster = new aws.eks.Cluster(`${name}-eks`, {
      name,
      version: args.kubernetesVersion,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: network.privateSubnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint,
        // Only the listed CIDRs; without any, the public endpoint is off altogether.
        publicAccessCidrs: publicEndpoint ? [...args.publicAccessCidrs] : undefined,
      },
      encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      // No hidden admin for whoever happened to create the cluster: the deployer's access is an entry below.
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      deletionProtection: args.protect,
    }, { ...awsOpts, protect: args.protect, dependsOn: [logGroup, clusterKeyAccess, ...attachments] });
    this.clusterName = cluster.name;
    // The private endpoint answers only what the cluster security group admits (by default, the nodes).
    (args.privateAccessCidrs ?? []).forEach((cidrIpv4, index) => {
      new aws.vpc.SecurityGroupIngressRule(`${name}-api-private-${index}`, {
        securityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
        description: "Kubernetes API from where Pulumi runs (privateAccessCidrs)",
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        cidrIpv4,
      }, awsOpts);
    });

    const clusterAdmin = (id: string, principalArn: pulumi.Input<string>) => {
      const entry = new aws.eks.AccessEntry(`${name}-${id}`, { clusterName: cluster.name, principalArn, type: "STANDARD" }, awsOpts);
      return new aws.eks.AccessPolicyAssociation(`${name}-${id}`, {
        clusterName: cluster.name,
        principalArn: entry.principalArn,
        policyArn: pulumi.interpolate`arn:${partition.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
        accessScope: { type: "cluster" },
      }, awsOpts);
    };
    // The identity that runs `pulumi up` (configured, or the IAM role behind the caller's session) gets an
    // explicit, visible entry: the Kubernetes provider below authenticates as it.
    const deployer = args.deployerRoleArn ??
      aws.iam.getSessionContextOutput({ arn: aws.getCallerIdentityOutput({}, awsOpts).arn }, awsOpts).issuerArn.apply((arn) => callerAsDeployer(arn, args.adminRoleArns));
    const deployerAccess = clusterAdmin("deployer", deployer);
    args.adminRoleArns.forEach((principalArn, index) => clusterAdmin(`admin-${index}`, principalArn));

    this.oidcIssuerUrl = cluster.identities.apply((identities) => identities[0]!.oidcs![0]!.issuer!);
    const oidcProvider = createOidcProvider(name, this.oidcIssuerUrl, awsOpts);
    this.identity = new IrsaIdentity(oidcProvider, this.oidcIssuerUrl, awsProvider, bucket.arn, partition.partition);

    const addon = (addonName: EksAddonName, dependsOn: pulumi.Resource[], serviceAccountRoleArn?: pulumi.Output<string>, configuration?: object) =>
      new aws.eks.Addon(`${name}-${addonName}`, {
        clusterName: cluster.name,
        addonName,
        addonVersion: eksAddonVersions[args.kubernetesVersion][addonName],
        serviceAccountRoleArn,
        ...(configuration ? { configurationValues: JSON.stringify(configuration) } : {}),
        // EKS pre-installs self-managed copies of some of these; the managed add-on takes them over.
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
      }, { ...awsOpts, dependsOn });
    const vpcCniRole = this.identity.role(`${name}-vpc-cni`, {
      namespace: systemNamespace,
      serviceAccount: "aws-node",
      managedPolicies: ["AmazonEKS_CNI_Policy"],
    }, this);
    // Networking DaemonSets first: nodes only become Ready once the CNI runs on them.
    // The VPC CNI's network policy agent is off by default; without it every NetworkPolicy the
    // add-ons and the serving chart create would be ignored.
    const networking = [addon("vpc-cni", [], vpcCniRole.arn, { enableNetworkPolicy: "true" }), addon("kube-proxy", [])];

    const nodeBase = {
      clusterName: cluster.name,
      kubernetesVersion: args.kubernetesVersion,
      nodeRoleArn: nodeRole.arn,
      subnetIds: network.privateSubnetIds,
      dependsOn: [...networking, ...attachments],
    };
    const systemNodes = createNodeGroup(`${name}-system`, {
      ...nodeBase,
      amiType: "AL2023_x86_64_STANDARD",
      instanceTypes: [args.systemPool.instanceType],
      spot: false,
      minSize: args.systemPool.minSize,
      maxSize: args.systemPool.maxSize,
      diskSizeGiB: 50,
      labels: { "llm-platform.io/node-role": "system" },
      launchTags: { "llm-platform/cluster": name, "llm-platform/pool": "system" },
    }, awsOpts);
    for (const pool of args.gpuPools) {
      createNodeGroup(`${name}-gpu-${pool.name}`, {
        ...nodeBase,
        amiType: pool.amiType,
        instanceTypes: pool.instanceTypes,
        spot: pool.spot,
        minSize: pool.minSize,
        maxSize: pool.maxSize,
        diskSizeGiB: pool.diskSizeGiB,
        diskThroughputMiBps: pool.diskThroughputMiBps,
        diskIops: pool.diskIops,
        localNvmeRaid0: usesLocalNvme(pool),
        labels: usesLocalNvme(pool) ? { [localNvmeLabel]: "raid0" } : {},
        launchTags: { "llm-platform/cluster": name, "llm-platform/pool": pool.name },
        gpu: {
          poolName: pool.name,
          gpusPerNode: pool.gpusPerNode,
          gpuModel: pool.gpuModel,
          ephemeralStorageGiB: poolEphemeralStorageGiB(pool, (type) => eksGpuInstances[type]?.nvmeGB ?? 0),
        },
      }, awsOpts);
    }

    const ebsCsiRole = this.identity.role(`${name}-ebs-csi`, {
      namespace: systemNamespace,
      serviceAccount: "ebs-csi-controller-sa",
      managedPolicies: ["service-role/AmazonEBSCSIDriverPolicy"],
    }, this);
    // Deployments: they need somewhere to run.
    const coreDns = addon("coredns", [systemNodes]);
    const ebsCsi = addon("aws-ebs-csi-driver", [systemNodes], ebsCsiRole.arn);

    this.kubeconfig = pulumi.secret(
      pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority]).apply(([clusterName, endpoint, authority]) =>
        eksKubeconfig({ clusterName, endpoint, certificateAuthority: authority.data!, region: args.region })),
    );
    // The kubeconfig is computed from the cluster's endpoint and CA, so on a stack whose cluster does not
    // exist yet it is unknown at preview and the Kubernetes provider previews instead of dialing a cluster.
    // Everything Kubernetes waits for the cluster to be usable: nodes to run on, DNS and volumes.
    // On destroy, after every Kubernetes resource and before the nodes, the EBS CSI driver and the
    // deployer's access go: delete what the cloud bills for outside Pulumi (load balancers, volumes).
    const teardown = createTeardown(name, { kubeconfig: this.kubeconfig, dependsOn: [systemNodes, coreDns, ebsCsi, deployerAccess] }, this);
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, {
      parent: this,
      dependsOn: [systemNodes, coreDns, ebsCsi, deployerAccess, teardown],
    });
    const k8sOpts = { parent: this, provider: this.provider };

    this.gpuPools = args.gpuPools.map((pool) => ({
      name: pool.name,
      gpusPerNode: pool.gpusPerNode,
      // Images and emptyDir volumes land on the instance store when it is set up, else on the root volume.
      rootVolumeMiBps: usesLocalNvme(pool) ? instanceStoreWriteMiBps : pool.diskThroughputMiBps,
      localNvme: usesLocalNvme(pool),
      scheduling: {
        nodeSelector: { [gpuNodeConventions.poolLabel]: pool.name },
        tolerations: [{ ...gpuNodeConventions.taint, operator: "Equal" as const }],
      },
    }));

    createDefaultStorageClass(name, k8sOpts);
    const cacheVolume = args.modelCacheVolume ?? { throughputMiBps: 125, iops: 3000 };
    createModelCacheStorageClass(name, cacheVolume, k8sOpts);
    this.modelCacheStorage = { storageClassName: modelCacheStorageClassName, throughputMiBps: cacheVolume.throughputMiBps };
    const autoscalerAccount = "cluster-autoscaler";
    const autoscalerRole = this.identity.role(`${name}-autoscaler`, {
      namespace: systemNamespace,
      serviceAccount: autoscalerAccount,
      policy: cluster.name.apply((clusterName) => JSON.stringify(clusterAutoscalerPolicy(clusterName))),
    }, this);
    installClusterAutoscaler(`${name}-autoscaler`, {
      clusterName: cluster.name,
      region: args.region,
      imageTag: clusterAutoscalerImageTags[args.kubernetesVersion],
      roleArn: autoscalerRole.arn,
      serviceAccount: autoscalerAccount,
      namespace: systemNamespace,
    }, k8sOpts);
    const needPlugin = new Set(args.gpuPools.filter((pool) => pool.amiType === "AL2023_x86_64_NVIDIA").map((pool) => pool.name));
    installDevicePlugin(`${name}-nvidia`, this.gpuPools.filter((pool) => needPlugin.has(pool.name)), k8sOpts);

    this.registerOutputs({
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      oidcIssuerUrl: this.oidcIssuerUrl,
      bucket: bucket.bucket,
    });
  }
}
