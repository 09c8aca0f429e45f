import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as aws from "../components/cluster/eks/aws-services";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { IrsaIdentity } from "../components/cluster/eks/identity";
import { eksKubeconfig } from "../components/cluster/eks/kubernetes";
import { callerAsDeployer } from "../components/cluster/eks-cluster";
import { amiReleaseParameter } from "../components/cluster/eks/node-groups";
import { bucketAccessPolicy, irsaTrustPolicy, pickZones, subnetPlan } from "../components/cluster/eks/policies";
import { gpuNodeConventions } from "../components/cluster/types";
import { terminationGraceSeconds } from "../components/serving/values";
import { charts, clusterAutoscalerImageTags, eksAddonVersions } from "../components/versions";
import { manifestsOf } from "../scripts/lib/manifests";
import { createMocks } from "../scripts/lib/mocks";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { unknownValueKeys } from "./support/chart-keys";
import { errorsOf, validateStack, type Mutation } from "./support/config";
import { ofType, repoRoot, synthStack } from "./support/synth";
import { synthVariant } from "./support/variant";

type Inputs = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const inputs = (resource: SynthResource) => resource.inputs as Inputs;
const named = (result: SynthResult, type: string, name: string) => {
  const found = ofType(result, type).find((resource) => resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const stacks = { dev: {} as SynthResult, prod: {} as SynthResult };

beforeAll(async () => {
  stacks.dev = await synthStack("dev");
  stacks.prod = await synthStack("prod");
});

describe.each(["dev", "prod"] as const)("EKS stack %s", (stack) => {
  const result = () => stacks[stack];
  const cluster = () => inputs(ofType(result(), "aws:eks/cluster:Cluster")[0]!);
  const gpuGroup = () => ofType(result(), "aws:eks/nodeGroup:NodeGroup").find((group) => group.name.includes("-gpu-"))!;

  it("builds the cluster from plain AWS resources under one llm-platform:cluster:Eks component", () => {
    expect(ofType(result(), "llm-platform:cluster:Eks")).toHaveLength(1);
    expect(result().resources.some((r) => r.type.startsWith("eks:") || r.type.startsWith("awsx:"))).toBe(false);
  });

  it("sends every AWS resource through the component's own provider, in the configured region", () => {
    const [provider] = ofType(result(), "pulumi:providers:aws");
    expect(inputs(provider!).region).toBe("us-east-1");
    for (const resource of result().resources.filter((r) => r.custom && r.type.startsWith("aws:"))) {
      expect(resource.provider, resource.urn).toBe(provider!.urn);
    }
  });

  it("sends every Kubernetes resource through the EKS cluster's provider", () => {
    const [provider] = ofType(result(), "pulumi:providers:kubernetes");
    expect(provider!.parent).toBe(ofType(result(), "llm-platform:cluster:Eks")[0]!.urn);
    const kubernetes = result().resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    expect(kubernetes.length).toBeGreaterThan(0);
    for (const resource of kubernetes) expect(resource.provider, resource.urn).toBe(provider!.urn);
  });

  it("connects Kubernetes only once the cluster has nodes, DNS and volumes", () => {
    const [provider] = ofType(result(), "pulumi:providers:kubernetes");
    const needed = [
      named(result(), "aws:eks/nodeGroup:NodeGroup", `llm-${stack}-system`),
      named(result(), "aws:eks/addon:Addon", `llm-${stack}-coredns`),
      named(result(), "aws:eks/addon:Addon", `llm-${stack}-aws-ebs-csi-driver`),
    ];
    for (const resource of needed) expect(provider!.dependsOn).toContain(resource.urn);
  });

  it("on destroy, deletes load balancers and volumes after every Kubernetes resource and before nodes, CSI driver and access go", () => {
    const [teardown] = ofType(result(), "command:local:Command");
    expect(inputs(teardown!).delete).toMatch(/kubectl delete persistentvolumeclaims --all-namespaces --all/);
    expect(inputs(teardown!).create).toBeUndefined();
    // The kubeconfig travels as a secret, read again from state when destroy runs.
    expect(inputs(teardown!).environment).toBe("[secret]");
    for (const needed of [
      named(result(), "aws:eks/nodeGroup:NodeGroup", `llm-${stack}-system`),
      named(result(), "aws:eks/addon:Addon", `llm-${stack}-aws-ebs-csi-driver`),
      named(result(), "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `llm-${stack}-deployer`),
    ]) expect(teardown!.dependsOn).toContain(needed.urn);
    const [provider] = ofType(result(), "pulumi:providers:kubernetes");
    expect(provider!.dependsOn).toContain(teardown!.urn);
  });

  it("pins the Kubernetes version from config", () => {
    expect(cluster().version).toBe("1.34");
  });

  it("keeps the API endpoint private, public only for the configured CIDRs and never 0.0.0.0/0", () => {
    const { vpcConfig } = cluster();
    expect(vpcConfig.endpointPrivateAccess).toBe(true);
    expect(vpcConfig.publicAccessCidrs).toEqual(stack === "dev" ? ["203.0.113.0/24"] : ["198.51.100.0/24"]);
    expect(vpcConfig.publicAccessCidrs.some((cidr: string) => cidr.endsWith("/0"))).toBe(false);
  });

  it("envelope-encrypts Secrets with a KMS key that rotates", () => {
    const [key] = ofType(result(), "aws:kms/key:Key");
    expect(inputs(key!).enableKeyRotation).toBe(true);
    expect(cluster().encryptionConfig).toEqual({ provider: { keyArn: expect.stringContaining(`key/mock-${key!.name}`) }, resources: ["secrets"] });
    const keyAccess = JSON.parse(inputs(named(result(), "aws:iam/rolePolicy:RolePolicy", `llm-${stack}-cluster-kms`)).policy);
    expect(keyAccess.Statement.map((statement: Inputs) => statement.Resource)).toEqual([cluster().encryptionConfig.provider.keyArn]);
  });

  it("turns on the api, audit and authenticator control-plane logs, into a group with a retention", () => {
    expect(cluster().enabledClusterLogTypes).toEqual(["api", "audit", "authenticator"]);
    const [logGroup] = ofType(result(), "aws:cloudwatch/logGroup:LogGroup");
    expect(inputs(logGroup!)).toMatchObject({ name: `/aws/eks/llm-${stack}/cluster`, retentionInDays: stack === "dev" ? 14 : 365 });
  });

  it("authenticates through access entries only, never the aws-auth ConfigMap", () => {
    expect(cluster().accessConfig.authenticationMode).toBe("API");
    expect(result().resources.some((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs as Inputs).metadata?.name === "aws-auth")).toBe(false);
    for (const association of ofType(result(), "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) {
      expect(inputs(association)).toMatchObject({ policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } });
    }
  });

  it("gives the deploying identity an explicit access entry instead of hidden cluster-creator admin", () => {
    expect(cluster().accessConfig.bootstrapClusterCreatorAdminPermissions).toBe(false);
    const deployer = stack === "prod" ? "arn:aws:iam::123456789012:role/llm-platform-deploy" : "arn:aws:iam::123456789012:role/mock-deployer";
    const entries = ofType(result(), "aws:eks/accessEntry:AccessEntry").map((entry) => [entry.name, inputs(entry).principalArn]);
    expect(entries).toEqual(expect.arrayContaining([[`llm-${stack}-deployer`, deployer]]));
    expect(entries.map(([, arn]) => arn).sort()).toEqual(
      (stack === "prod" ? [deployer, "arn:aws:iam::123456789012:role/platform-admin"] : [deployer]).sort(),
    );
    const [provider] = ofType(result(), "pulumi:providers:kubernetes");
    expect(provider!.dependsOn).toContain(named(result(), "aws:eks/accessPolicyAssociation:AccessPolicyAssociation", `llm-${stack}-deployer`).urn);
  });

  it("never puts a subnet in an AZ EKS does not support (the mock's us-east-1c is use1-az3)", () => {
    const zones = ofType(result(), "aws:ec2/subnet:Subnet").map((subnet) => inputs(subnet).availabilityZone);
    expect(zones).not.toContain("us-east-1c");
    expect(new Set(zones)).toEqual(new Set(stack === "dev" ? ["us-east-1a", "us-east-1b"] : ["us-east-1a", "us-east-1b", "us-east-1d"]));
  });

  it("sends S3 traffic through a gateway endpoint on every private route table, not the NAT gateway", () => {
    const [endpoint] = ofType(result(), "aws:ec2/vpcEndpoint:VpcEndpoint").map(inputs);
    const privateTables = ofType(result(), "aws:ec2/routeTable:RouteTable").filter((table) => table.name.includes("-private-")).map((table) => `${table.name}-id`);
    expect(endpoint).toMatchObject({ serviceName: "com.amazonaws.us-east-1.s3", vpcEndpointType: "Gateway" });
    expect([...endpoint!.routeTableIds].sort()).toEqual(privateTables.sort());
  });

  it("spreads the VPC over the configured AZs, with load balancer tags and the NAT layout of the stack", () => {
    const azs = stack === "dev" ? 2 : 3;
    const subnets = ofType(result(), "aws:ec2/subnet:Subnet").map(inputs);
    const publicSubnets = subnets.filter((subnet) => subnet.tags["kubernetes.io/role/elb"] === "1");
    const privateSubnets = subnets.filter((subnet) => subnet.tags["kubernetes.io/role/internal-elb"] === "1");
    expect(publicSubnets).toHaveLength(azs);
    expect(privateSubnets).toHaveLength(azs);
    expect(new Set(subnets.map((subnet) => subnet.availabilityZone)).size).toBe(azs);
    for (const subnet of subnets) expect(subnet.mapPublicIpOnLaunch ?? false).toBe(false);
    expect(ofType(result(), "aws:ec2/natGateway:NatGateway")).toHaveLength(stack === "dev" ? 1 : 3);
    const privateRoutes = ofType(result(), "aws:ec2/routeTable:RouteTable").filter((table) => table.name.includes("-private-"));
    const natTargets = new Set(privateRoutes.map((table) => inputs(table).routes[0].natGatewayId));
    expect(natTargets.size).toBe(stack === "dev" ? 1 : 3);
  });

  it("runs the control plane ENIs and every node group in private subnets only", () => {
    const privateIds = ofType(result(), "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("-private-")).map((s) => `${s.name}-id`);
    expect(cluster().vpcConfig.subnetIds).toEqual(privateIds);
    for (const group of ofType(result(), "aws:eks/nodeGroup:NodeGroup")) expect(inputs(group).subnetIds).toEqual(privateIds);
  });

  it("requires IMDSv2 with hop limit 1 and an encrypted gp3 root volume on every node", () => {
    const templates = ofType(result(), "aws:ec2/launchTemplate:LaunchTemplate");
    expect(templates).toHaveLength(ofType(result(), "aws:eks/nodeGroup:NodeGroup").length);
    for (const template of templates.map(inputs)) {
      expect(template.metadataOptions).toEqual({ httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
      expect(template.blockDeviceMappings[0].ebs).toMatchObject({ encrypted: "true", volumeType: "gp3" });
    }
    const gpuTemplate = named(result(), "aws:ec2/launchTemplate:LaunchTemplate", `${gpuGroup().name}-lt`);
    expect(inputs(gpuTemplate).blockDeviceMappings[0].ebs.volumeSize).toBe(200);
  });

  it("makes the GPU nodes' NVMe instance store one RAID0 volume through nodeadm, and labels them so", () => {
    const gpuTemplate = inputs(named(result(), "aws:ec2/launchTemplate:LaunchTemplate", `${gpuGroup().name}-lt`));
    const userData = Buffer.from(gpuTemplate.userData as string, "base64").toString();
    expect(userData).toMatch(/^MIME-Version: 1\.0\nContent-Type: multipart\/mixed; boundary="(\w+)"/);
    const part = userData.split(/--\w+\n/)[1]!;
    expect(part.split("\n\n")[0]).toBe("Content-Type: application/node.eks.aws");
    expect(parse(part.split("\n\n").slice(1).join("\n\n").replace(/--\w+--\n$/, ""))).toEqual({
      apiVersion: "node.eks.aws/v1alpha1",
      kind: "NodeConfig",
      spec: { instance: { localStorage: { strategy: "RAID0" } } },
    });
    expect(inputs(gpuGroup()).labels["llm-platform.io/local-nvme"]).toBe("raid0");
    // The system nodes keep EKS's own user data.
    expect(inputs(named(result(), "aws:ec2/launchTemplate:LaunchTemplate", `llm-${stack}-system-lt`)).userData).toBeUndefined();
  });

  it("runs the system pool on demand", () => {
    const system = inputs(named(result(), "aws:eks/nodeGroup:NodeGroup", `llm-${stack}-system`));
    expect(system).toMatchObject({ capacityType: "ON_DEMAND", amiType: "AL2023_x86_64_STANDARD", taints: [] });
  });

  it("gives the GPU pool an NVIDIA AMI, its instance types, the GPU labels and the GPU taint", () => {
    const group = inputs(gpuGroup());
    expect(group.amiType).toBe("AL2023_x86_64_NVIDIA");
    expect(group.instanceTypes).toEqual(stack === "dev" ? ["g6.xlarge", "g6.2xlarge"] : ["g6e.12xlarge", "g6e.24xlarge"]);
    expect(group.labels).toMatchObject({ [gpuNodeConventions.poolLabel]: stack === "dev" ? "l4" : "l40s", "nvidia.com/gpu.present": "true" });
    expect(group.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NO_SCHEDULE" }]);
  });

  it(stack === "dev" ? "dev GPUs are spot and scale to zero" : "prod GPUs are on demand and never scale below one node", () => {
    const group = inputs(gpuGroup());
    expect(group.capacityType).toBe(stack === "dev" ? "SPOT" : "ON_DEMAND");
    expect(group.scalingConfig.minSize).toBe(stack === "dev" ? 0 : 1);
  });

  it("tags the GPU pool's auto scaling group so cluster-autoscaler can scale it up from zero", () => {
    const tags = ofType(result(), "aws:autoscaling/tag:Tag").filter((tag) => tag.name.startsWith(gpuGroup().name));
    const byKey = Object.fromEntries(tags.map((tag) => [inputs(tag).tag.key, inputs(tag).tag.value]));
    const prefix = "k8s.io/cluster-autoscaler/node-template";
    expect(byKey).toMatchObject({
      [`${prefix}/label/${gpuNodeConventions.poolLabel}`]: stack === "dev" ? "l4" : "l40s",
      [`${prefix}/taint/nvidia.com/gpu`]: "present:NoSchedule",
      [`${prefix}/resources/nvidia.com/gpu`]: stack === "dev" ? "1" : "4",
      // The NVMe RAID0 of a g6.xlarge (250 GB) or g6e.12xlarge (2 × 1900 GB), less eviction and image room.
      [`${prefix}/resources/ephemeral-storage`]: stack === "dev" ? "167Gi" : "2978Gi",
    });
    for (const tag of tags) expect(inputs(tag).autoscalingGroupName).toBe(`eks-${gpuGroup().name}-mock`);
    // Every pod that must scale the pool up from zero fits the template node's ephemeral storage.
    const requested = manifestsOf(result().resources)
      .map((m) => m.object as Inputs)
      .filter((o) => o.kind === "Deployment" || o.kind === "Job")
      .map((o) => o.spec.template.spec)
      .filter((pod) => pod.nodeSelector?.[gpuNodeConventions.poolLabel] !== undefined)
      .flatMap((pod) => [...(pod.initContainers ?? []), ...pod.containers].map((c: Inputs) => parseInt(c.resources?.requests?.["ephemeral-storage"] ?? "0")));
    expect(requested.length).toBeGreaterThan(0);
    expect(Math.max(...requested)).toBeLessThanOrEqual(parseInt(byKey[`${prefix}/resources/ephemeral-storage`]));
  });

  it("installs the pinned cluster-autoscaler with an IRSA role that may only resize this cluster's groups", () => {
    const release = inputs(named(result(), "kubernetes:helm.sh/v3:Release", `llm-${stack}-autoscaler`));
    expect(release).toMatchObject({ chart: "cluster-autoscaler", version: charts.clusterAutoscaler.version, namespace: "kube-system" });
    expect(release.values.image.tag).toBe(clusterAutoscalerImageTags["1.34"]);
    expect(release.values.autoDiscovery.clusterName).toBe(`llm-${stack}`);
    expect(release.values.rbac.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toMatch(/role\/llm-\w+-autoscaler-role$/);
    const trust = JSON.parse(inputs(named(result(), "aws:iam/role:Role", `llm-${stack}-autoscaler-role`)).assumeRolePolicy);
    expect(Object.values(trust.Statement[0].Condition.StringEquals)).toContain("system:serviceaccount:kube-system:cluster-autoscaler");
    const policy = JSON.parse(inputs(named(result(), "aws:iam/rolePolicy:RolePolicy", `llm-${stack}-autoscaler-policy`)).policy);
    const writes = policy.Statement.find((statement: Inputs) => statement.Action.includes("autoscaling:SetDesiredCapacity"));
    expect(writes.Condition.StringEquals).toEqual({ [`aws:ResourceTag/k8s.io/cluster-autoscaler/llm-${stack}`]: "owned" });
  });

  it("lets a scale-down drain give serving pods their whole grace period, so it never cuts a generation", () => {
    // cluster-autoscaler caps a drained pod's grace period at --max-graceful-termination-sec (600 s by default).
    const release = inputs(named(result(), "kubernetes:helm.sh/v3:Release", `llm-${stack}-autoscaler`));
    expect(release.values.extraArgs["max-graceful-termination-sec"]).toBeGreaterThanOrEqual(terminationGraceSeconds);
  });

  it("passes only chart values keys that the pinned upstream charts have", () => {
    const autoscaler = inputs(named(result(), "kubernetes:helm.sh/v3:Release", `llm-${stack}-autoscaler`));
    expect(unknownValueKeys(charts.clusterAutoscaler, autoscaler.values as Record<string, unknown>)).toEqual([]);
    const plugin = ofType(result(), "kubernetes:helm.sh/v3:Release").find((release) => inputs(release).chart === "nvidia-device-plugin")!;
    expect(unknownValueKeys(charts.nvidiaDevicePlugin, inputs(plugin).values as Record<string, unknown>)).toEqual([]);
  });

  it("installs VPC CNI and the EBS CSI driver (each with its own IRSA role), CoreDNS and kube-proxy at pinned versions", () => {
    const addons: Record<string, Inputs> = Object.fromEntries(ofType(result(), "aws:eks/addon:Addon").map((addon) => [inputs(addon).addonName, inputs(addon)]));
    expect(Object.keys(addons).sort()).toEqual(["aws-ebs-csi-driver", "coredns", "kube-proxy", "vpc-cni"]);
    for (const [name, addon] of Object.entries(addons)) expect(addon.addonVersion).toBe(eksAddonVersions["1.34"][name as keyof (typeof eksAddonVersions)["1.34"]]);
    const irsa = { "aws-ebs-csi-driver": ["ebs-csi", "ebs-csi-controller-sa"], "vpc-cni": ["vpc-cni", "aws-node"] };
    for (const [addon, [role, serviceAccount]] of Object.entries(irsa)) {
      expect(addons[addon]!.serviceAccountRoleArn).toBe(`arn:aws:iam::123456789012:role/llm-${stack}-${role}-role`);
      const trust = JSON.parse(inputs(named(result(), "aws:iam/role:Role", `llm-${stack}-${role}-role`)).assumeRolePolicy);
      expect(Object.values(trust.Statement[0].Condition.StringEquals)).toContain(`system:serviceaccount:kube-system:${serviceAccount}`);
    }
    // Without the CNI's network policy agent, EKS ignores every NetworkPolicy the platform creates.
    expect(JSON.parse(addons["vpc-cni"]!.configurationValues)).toEqual({ enableNetworkPolicy: "true" });
    const nodePolicies = ofType(result(), "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith(`llm-${stack}-node-`));
    expect(nodePolicies.map((a) => inputs(a).policyArn)).not.toContain("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy");
  });

  it("makes an encrypted gp3 StorageClass the default", () => {
    const [storageClass] = ofType(result(), "kubernetes:storage.k8s.io/v1:StorageClass").map(inputs);
    expect(storageClass).toMatchObject({
      metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
      volumeBindingMode: "WaitForFirstConsumer",
    });
  });

  it("runs the NVIDIA device plugin only on the AL2023 GPU pool's nodes, tolerating the GPU taint", () => {
    const plugins = ofType(result(), "kubernetes:helm.sh/v3:Release").filter((release) => inputs(release).chart === "nvidia-device-plugin");
    expect(plugins).toHaveLength(1);
    expect(inputs(plugins[0]!).values).toMatchObject({
      nodeSelector: { [gpuNodeConventions.poolLabel]: stack === "dev" ? "l4" : "l40s" },
      tolerations: [{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }],
    });
  });

  it("keeps the stack's bucket private, encrypted, versioned and TLS-only", () => {
    const bucket = ofType(result(), "aws:s3/bucket:Bucket");
    expect(bucket).toHaveLength(1);
    expect(inputs(ofType(result(), "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]!)).toMatchObject({
      blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    const encryption = inputs(ofType(result(), "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]!);
    expect(encryption.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("AES256");
    expect(inputs(ofType(result(), "aws:s3/bucketVersioning:BucketVersioning")[0]!).versioningConfiguration.status).toBe("Enabled");
    const policy = JSON.parse(inputs(ofType(result(), "aws:s3/bucketPolicy:BucketPolicy")[0]!).policy);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
  });

  it(stack === "prod" ? "prod protects the cluster, its KMS key and the bucket" : "dev leaves the cluster, key and bucket destroyable", () => {
    for (const type of ["aws:eks/cluster:Cluster", "aws:kms/key:Key", "aws:s3/bucket:Bucket"]) {
      expect(ofType(result(), type)[0]!.protect, type).toBe(stack === "prod");
    }
    expect(cluster().deletionProtection).toBe(stack === "prod");
  });

  it("replaces a node group create-before-delete: a name prefix, never a fixed name with deleteBeforeReplace", () => {
    const groups = ofType(result(), "aws:eks/nodeGroup:NodeGroup");
    for (const group of groups) {
      expect(inputs(group).nodeGroupName, group.name).toBeUndefined();
      expect(inputs(group).nodeGroupNamePrefix).toBe(`${group.name}-`);
    }
    // The synth record has no deleteBeforeReplace flag; the source must not set it on node groups.
    expect(readFileSync(join(repoRoot, "components/cluster/eks/node-groups.ts"), "utf8")).not.toMatch(/deleteBeforeReplace/);
  });

  it("pins every node group to the cluster's Kubernetes version and the recommended AMI release of its AMI type", () => {
    const groups = ofType(result(), "aws:eks/nodeGroup:NodeGroup").map(inputs);
    for (const group of groups) {
      expect(group.version).toBe("1.34");
      // The mock answers the SSM parameter of AL2023 AMI types with "<minor>.0-<date>".
      expect(group.releaseVersion).toBe("1.34.0-20260101");
    }
    expect(amiReleaseParameter("AL2023_x86_64_NVIDIA", "1.34")).toBe("/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/nvidia/recommended/release_version");
    expect(amiReleaseParameter("AL2023_x86_64_STANDARD", "1.33")).toBe("/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/release_version");
    expect(amiReleaseParameter("BOTTLEROCKET_x86_64_NVIDIA", "1.34")).toBe("/aws/service/bottlerocket/aws-k8s-1.34-nvidia/x86_64/latest/image_version");
  });

  it("labels GPU nodes and their scale-from-zero template with cluster-autoscaler's AWS GPU label", () => {
    const gpu = stack === "dev" ? "nvidia-l4" : "nvidia-l40s";
    expect(inputs(gpuGroup()).labels["k8s.amazonaws.com/accelerator"]).toBe(gpu);
    const tags = ofType(result(), "aws:autoscaling/tag:Tag").filter((tag) => tag.name.startsWith(gpuGroup().name)).map((tag) => inputs(tag).tag);
    expect(tags).toContainEqual({ key: "k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator", value: gpu, propagateAtLaunch: false });
  });

  it("tags the instances, volumes and network interfaces every node group launches with the cluster and pool", () => {
    for (const group of ofType(result(), "aws:eks/nodeGroup:NodeGroup")) {
      const pool = group.name === `llm-${stack}-system` ? "system" : stack === "dev" ? "l4" : "l40s";
      const template = inputs(named(result(), "aws:ec2/launchTemplate:LaunchTemplate", `${group.name}-lt`));
      expect(template.tagSpecifications.map((spec: Inputs) => spec.resourceType).sort()).toEqual(["instance", "network-interface", "volume"]);
      for (const spec of template.tagSpecifications) {
        expect(spec.tags).toMatchObject({ "llm-platform/cluster": `llm-${stack}`, "llm-platform/pool": pool });
      }
    }
  });

  it("outputs the kubeconfig as a secret, the cluster name, the OIDC issuer and the bucket name", () => {
    expect(result().outputs).toMatchObject({
      kubeconfig: "[secret]",
      clusterName: `llm-${stack}`,
      oidcIssuerUrl: expect.stringMatching(/^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\//),
      bucketName: `llm-${stack}-models-mock1234`,
      objectStoreUrl: `s3://llm-${stack}-models-mock1234`,
    });
  });
});

describe("EKS building blocks", () => {
  it("refuses a caller that is also in adminRoleArns, naming the key, the role and both ways out", () => {
    const admins = ["arn:aws:iam::111122223333:role/platform-admin", "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0a1b"];
    expect(callerAsDeployer("arn:aws:iam::111122223333:role/ci-deploy", admins)).toBe("arn:aws:iam::111122223333:role/ci-deploy");
    expect(() => callerAsDeployer(admins[1]!, admins)).toThrow(pulumi.RunError);
    expect(() => callerAsDeployer(admins[1]!, admins)).toThrow(
      /^llm-platform:cluster\.adminRoleArns\[1\]: got "arn:aws:iam::111122223333:role\/aws-reserved\/sso\.amazonaws\.com\/AWSReservedSSO_Admin_0a1b"; that is the role running pulumi up.*one access entry per principal: remove it from adminRoleArns .*or name the deployer with cluster\.deployerRoleArn$/,
    );
  });

  it("the kubeconfig authenticates with aws eks get-token and holds no token", () => {
    const config = JSON.parse(eksKubeconfig({ clusterName: "c", endpoint: "https://e", certificateAuthority: "Y2E=", region: "eu-west-1" }));
    expect(config.users[0].user.exec).toMatchObject({ command: "aws", args: ["eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1", "--output", "json"] });
    expect(JSON.stringify(config)).not.toMatch(/token"\s*:/);
  });

  it("an IRSA role trusts exactly one service account of one cluster, for STS only", () => {
    const trust = irsaTrustPolicy("arn:aws:iam::1:oidc-provider/oidc.eks/id/X", "https://oidc.eks/id/X", "ml", "loader");
    expect(trust.Statement).toEqual([expect.objectContaining({
      Principal: { Federated: "arn:aws:iam::1:oidc-provider/oidc.eks/id/X" },
      Condition: { StringEquals: { "oidc.eks/id/X:sub": "system:serviceaccount:ml:loader", "oidc.eks/id/X:aud": "sts.amazonaws.com" } },
    })]);
  });

  it("a bucket grant reaches only this stack's bucket, and read cannot write", () => {
    const arn = "arn:aws:s3:::llm-dev-models";
    for (const access of ["read", "readwrite"] as const) {
      const resources = bucketAccessPolicy(arn, access).Statement.flatMap((statement) => [statement.Resource].flat());
      expect(new Set(resources)).toEqual(new Set([arn, `${arn}/*`]));
    }
    const readActions = bucketAccessPolicy(arn, "read").Statement.flatMap((statement) => [statement.Action].flat());
    expect(readActions.some((action) => /Put|Delete/.test(String(action)))).toBe(false);
    const writeActions = bucketAccessPolicy(arn, "readwrite").Statement.flatMap((statement) => [statement.Action].flat());
    expect(writeActions).toContain("s3:PutObject");
  });

  it("picks only zones that offer a type of every pool, and otherwise names each zone and what it lacks", () => {
    const offer = (zone: string, ...types: string[]) => types.map((instanceType) => ({ instanceType, zone }));
    const offerings = [...offer("z-a", "m6i.large", "g6.xlarge"), ...offer("z-b", "m6i.large"), ...offer("z-c", "m6i.large", "g6.2xlarge")];
    const needs = { region: "r", pools: [{ name: "system", instanceTypes: ["m6i.large"] }, { name: "gpuPools l4", instanceTypes: ["g6.xlarge", "g6.2xlarge"] }] };
    expect(pickZones(["z-a", "z-b", "z-c"], offerings, { ...needs, count: 2 })).toEqual(["z-a", "z-c"]);
    expect(() => pickZones(["z-a", "z-b", "z-c"], offerings, { ...needs, count: 3 })).toThrow(/availabilityZones is 3.*z-b offers none of gpuPools l4 \(g6\.xlarge, g6\.2xlarge\)/);
  });

  it("plans private and public subnets inside the VPC without overlaps", () => {
    expect(subnetPlan("10.0.0.0/16", 3)).toEqual({
      private: ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"],
      public: ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"],
    });
    expect(subnetPlan("172.16.0.0/20", 2)).toEqual({ private: ["172.16.0.0/22", "172.16.4.0/22"], public: ["172.16.12.0/26", "172.16.12.64/26"] });
  });
});

// Each row: a stack, what a user got wrong, the key path the message must name, and words it must contain.
const eksMistakes: [string, string, Mutation[], string, RegExp][] = [
  ["dev", "GPU pool with a non-GPU instance type", [{ set: ["cluster", "gpuPools", 0, "instanceTypes"], to: ["m6i.large"] }], "llm-platform:cluster.gpuPools[0].instanceTypes[0]", /m6i\.large has no GPU.*Allowed: g5\.xlarge/],
  ["dev", "GPU pool with an unknown size of a GPU family", [{ set: ["cluster", "gpuPools", 0, "instanceTypes"], to: ["g6.nano"] }], "llm-platform:cluster.gpuPools[0].instanceTypes[0]", /not a GPU size of the g6 family/],
  ["dev", "GPU pool mixing GPU counts", [{ set: ["cluster", "gpuPools", 0, "instanceTypes"], to: ["g6.xlarge", "g6.12xlarge"] }], "llm-platform:cluster.gpuPools[0].instanceTypes", /same GPU count/],
  ["dev", "unsupported Kubernetes version", [{ set: ["cluster", "kubernetesVersion"], to: "1.29" }], "llm-platform:cluster.kubernetesVersion", /got "1.29"; allowed: "1.32", "1.33", "1.34", "1.35"/],
  ["dev", "region that is not an AWS region", [{ set: ["cluster", "region"], to: "us-east" }], "llm-platform:cluster.region", /an AWS region/],
  ["dev", "negative GPU pool size", [{ set: ["cluster", "gpuPools", 0, "maxSize"], to: -1 }], "llm-platform:cluster.gpuPools[0].maxSize", /got -1; must be >= 1/],
  ["dev", "GPU pool min above max", [{ set: ["cluster", "gpuPools", 0, "minSize"], to: 3 }], "llm-platform:cluster.gpuPools[0].minSize", /must be <= maxSize/],
  ["dev", "root volume too small for LLM images", [{ set: ["cluster", "gpuPools", 0, "diskSizeGiB"], to: 50 }], "llm-platform:cluster.gpuPools[0].diskSizeGiB", /must be >= 100/],
  ["dev", "unknown AMI type", [{ set: ["cluster", "gpuPools", 0, "amiType"], to: "AL2_x86_64_GPU" }], "llm-platform:cluster.gpuPools[0].amiType", /AL2023_x86_64_NVIDIA/],
  ["dev", "VPC too small for pod IPs", [{ set: ["cluster", "vpcCidr"], to: "10.0.0.0/24" }], "llm-platform:cluster.vpcCidr", /use \/16 to \/20/],
  ["dev", "one AZ", [{ set: ["cluster", "availabilityZones"], to: 1 }], "llm-platform:cluster.availabilityZones", /must be >= 2/],
  ["dev", "admin that is not an IAM role", [{ set: ["cluster", "adminRoleArns"], to: ["arn:aws:iam::123456789012:user/bob"] }], "llm-platform:cluster.adminRoleArns[0]", /an IAM role ARN/],
  ["prod", "the deployer listed as an admin too", [{ set: ["cluster", "adminRoleArns", 1], to: "arn:aws:iam::123456789012:role/llm-platform-deploy" }], "llm-platform:cluster.adminRoleArns[1]", /also cluster.deployerRoleArn/],
  ["dev", "a private-only endpoint without saying where Pulumi runs", [{ set: ["cluster", "publicAccessCidrs"], to: [] }], "llm-platform:cluster.publicAccessCidrs", /nothing says how `pulumi up` reaches it.*cluster\.privateAccessCidrs/],
  ["prod", "the same admin twice", [{ set: ["cluster", "adminRoleArns", 1], to: "arn:aws:iam::123456789012:role/platform-admin" }], "llm-platform:cluster.adminRoleArns[1]", /one access entry per principal/],
  ["dev", "log retention CloudWatch does not offer", [{ set: ["cluster", "logRetentionDays"], to: 10 }], "llm-platform:cluster.logRetentionDays", /got 10/],
  ["prod", "prod API endpoint open to the internet", [{ set: ["cluster", "publicAccessCidrs"], to: ["0.0.0.0/0"] }], "llm-platform:cluster.publicAccessCidrs", /never exposes the API endpoint/],
  ["prod", "prod in two AZs", [{ set: ["cluster", "availabilityZones"], to: 2 }], "llm-platform:cluster.availabilityZones", /prod spans 3 AZs/],
  ["prod", "prod with one NAT gateway", [{ set: ["cluster", "natGateways"], to: "single" }], "llm-platform:cluster.natGateways", /one AZ outage/],
  ["prod", "prod serving on spot GPUs", [{ set: ["cluster", "gpuPools", 0, "spot"], to: true }], "llm-platform:cluster.gpuPools[0].spot", /spot reclaim/],
  ["prod", "prod serving pool that scales to zero", [{ set: ["cluster", "gpuPools", 0, "minSize"], to: 0 }], "llm-platform:cluster.gpuPools[0].minSize", /must be >= 1 in prod/],
  ["prod", "unprotected prod cluster", [{ set: ["cluster", "protect"], to: false }], "llm-platform:cluster.protect", /must be true in prod/],
  ["prod", "model that needs more GPUs than a node has", [{ set: ["cluster", "gpuPools", 0, "instanceTypes"], to: ["g6e.2xlarge"] }], "llm-platform:models[0].gpuCount", /4 GPUs do not fit on one node of pool "l40s" \(1 per node\)/],
];

describe("EKS config mistakes are rejected before any resource, naming the key", () => {
  it.each(eksMistakes)("%s: %s", (stack, _kind, mutations, path, words) => {
    const errors = errorsOf(validateStack(stack, mutations));
    const matching = errors.filter((error) => error.startsWith(`${path}:`));
    expect(matching, `errors were:\n${errors.join("\n")}`).not.toHaveLength(0);
    expect(matching.join("\n")).toMatch(words);
  });
});

describe("a Bottlerocket NVIDIA GPU pool (dev, variant)", () => {
  let result: SynthResult;
  beforeAll(async () => {
    const stack = parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, { gpuPools: Record<string, unknown>[] }> };
    stack.config["llm-platform:cluster"]!.gpuPools[0]!.amiType = "BOTTLEROCKET_x86_64_NVIDIA";
    const file = join(mkdtempSync(join(tmpdir(), "eks-bottlerocket-")), "Pulumi.dev.yaml");
    writeFileSync(file, stringify(stack));
    result = await synthStack("dev", file);
  });

  it("skips the NVIDIA device plugin, which Bottlerocket NVIDIA ships", () => {
    expect(ofType(result, "kubernetes:helm.sh/v3:Release").filter((release) => inputs(release).chart === "nvidia-device-plugin")).toEqual([]);
  });

  it("sizes and encrypts Bottlerocket's data volume, where images live, with no nodeadm user data", () => {
    const template = named(result, "aws:ec2/launchTemplate:LaunchTemplate", "llm-dev-gpu-l4-lt");
    expect(inputs(template).blockDeviceMappings).toEqual([{ deviceName: "/dev/xvdb", ebs: expect.objectContaining({ volumeSize: 200, encrypted: "true" }) }]);
    expect(inputs(template).userData).toBeUndefined();
  });
});

describe("a private-only EKS endpoint reached from a network routed into the VPC (dev, variant)", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthVariant("dev", (config) => {
      Object.assign(config.cluster as Inputs, { publicAccessCidrs: [], privateAccessCidrs: ["10.200.0.0/16"] });
    });
  });

  it("turns the public endpoint off and admits HTTPS from privateAccessCidrs on the cluster security group", () => {
    const cluster = inputs(ofType(result, "aws:eks/cluster:Cluster")[0]!);
    expect(cluster.vpcConfig).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
    const rules = ofType(result, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(inputs);
    expect(rules).toEqual([expect.objectContaining({ securityGroupId: "sg-mock-llm-dev-eks", cidrIpv4: "10.200.0.0/16", fromPort: 443, toPort: 443, ipProtocol: "tcp" })]);
  });
});

describe("an EKS stack in GovCloud (dev, variant)", () => {
  let result: SynthResult;
  beforeAll(async () => {
    result = await synthVariant("dev", (config) => {
      (config.cluster as Inputs).region = "us-gov-west-1";
    });
  });

  it("builds every AWS managed policy and access policy ARN in the provider's partition", () => {
    const arns = [
      ...ofType(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((attachment) => inputs(attachment).policyArn),
      ...ofType(result, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((association) => inputs(association).policyArn),
    ];
    expect(arns.length).toBeGreaterThan(5);
    for (const arn of arns) expect(arn).toMatch(/^arn:aws-us-gov:/);
  });
});

describe("identity.grant() on the EKS cluster", () => {
  const created = new Map<string, Inputs>();
  let annotations: Record<string, string>;
  beforeAll(async () => {
    const mocks = createMocks();
    const newResource = mocks.newResource.bind(mocks);
    mocks.newResource = (args) => {
      created.set(args.name, args.inputs);
      return newResource(args);
    };
    await pulumi.runtime.setMocks(mocks, "llm-platform", "grant", false);
    const provider = new aws.Provider("grant-aws", { region: "eu-west-1" });
    const issuer = pulumi.output("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC");
    const oidc = new aws.iam.OpenIdConnectProvider("grant-oidc", { url: issuer, clientIdLists: ["sts.amazonaws.com"] }, { provider });
    const identity = new IrsaIdentity(oidc, issuer, provider, pulumi.output("arn:aws:s3:::llm-grant-models"), "aws");
    const parent = new pulumi.ComponentResource("llm-platform:test:Addon", "loader", {});
    const granted = identity.grant("loader-s3", { namespace: "serving", serviceAccountName: "model-loader", bucketAccess: "read" }, parent);
    annotations = await new Promise((resolve) => granted.apply(resolve));
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  });

  it("returns the IRSA annotation for the service account", () => {
    expect(annotations).toEqual({ "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/loader-s3-role" });
  });

  it("creates a role only that service account can assume, reading only this stack's bucket", () => {
    const trust = JSON.parse(created.get("loader-s3-role")!.assumeRolePolicy);
    expect(trust.Statement[0].Condition.StringEquals).toEqual({
      "oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:serving:model-loader",
      "oidc.eks.eu-west-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
    });
    const policy = JSON.parse(created.get("loader-s3-policy")!.policy);
    expect(policy.Statement.flatMap((statement: Inputs) => [statement.Resource].flat())).toEqual(["arn:aws:s3:::llm-grant-models", "arn:aws:s3:::llm-grant-models/*"]);
    expect(JSON.stringify(policy)).not.toMatch(/PutObject|DeleteObject|"\*"/);
  });
});
