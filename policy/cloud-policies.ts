// Deep imports: the policy runtime type-checks the pack on every run, and the SDKs' root modules
// pull in every service's declarations.
import type * as ec2 from "@pulumi/aws/ec2";
import type * as eks from "@pulumi/aws/eks";
import type * as container from "@pulumi/gcp/container";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forType, forTypes, isProd } from "./lib";

export const types = {
  eksCluster: "aws:eks/cluster:Cluster",
  eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  ec2Instance: "aws:ec2/instance:Instance",
  subnet: "aws:ec2/subnet:Subnet",
  gkeCluster: "gcp:container/cluster:Cluster",
  gkeNodePool: "gcp:container/nodePool:NodePool",
} as const;

/**
 * `key in object` rather than reading the value: a KMS key ARN created in the same update is
 * unknown during preview, and reading an unknown value turns the check into a mere warning.
 */
const has = (object: object | undefined | null, key: string): boolean => !!object && key in object;

const openToWorld = (cidrs: readonly string[]) => cidrs.some((cidr) => cidr === "0.0.0.0/0" || cidr === "::/0");

export const clusterSecretsEncryption: ResourceValidationPolicy = {
  name: "cluster-secrets-encryption",
  description: "EKS and GKE clusters envelope-encrypt Kubernetes Secrets with a KMS key.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.eksCluster]: forType<eks.ClusterArgs>(types.eksCluster, (props, _args, report) => {
      const config = props.encryptionConfig;
      if (!config?.resources?.includes("secrets") || !has(config.provider, "keyArn")) {
        report('encryptionConfig must encrypt resources ["secrets"] with a KMS key (provider.keyArn).');
      }
    }),
    [types.gkeCluster]: forType<container.ClusterArgs>(types.gkeCluster, (props, _args, report) => {
      const encryption = props.databaseEncryption;
      if (encryption?.state !== "ENCRYPTED" || !has(encryption, "keyName")) {
        report('databaseEncryption must be { state: "ENCRYPTED", keyName: <Cloud KMS key> }.');
      }
    }),
  }),
};

export const clusterAuditLogging: ResourceValidationPolicy = {
  name: "cluster-audit-logging",
  description: "EKS clusters ship audit logs to CloudWatch; GKE clusters keep system and API server logs in Cloud Logging.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.eksCluster]: forType<eks.ClusterArgs>(types.eksCluster, (props, _args, report) => {
      const logTypes = props.enabledClusterLogTypes ?? [];
      if (!logTypes.includes("audit")) report(`enabledClusterLogTypes must include "audit" (got ${JSON.stringify(logTypes)}).`);
    }),
    [types.gkeCluster]: forType<container.ClusterArgs>(types.gkeCluster, (props, _args, report) => {
      // Admin Activity audit logs are always on in GKE; these keep the control plane's own logs too.
      if (props.loggingService === "none") report('loggingService must not be "none".');
      const components = props.loggingConfig?.enableComponents ?? [];
      const missing = ["SYSTEM_COMPONENTS", "APISERVER"].filter((component) => !components.includes(component));
      if (missing.length > 0) report(`loggingConfig.enableComponents must include ${missing.join(" and ")}.`);
    }),
  }),
};

export const noPublicApiEndpointInProd: ResourceValidationPolicy = {
  name: "no-public-api-endpoint-in-prod",
  description: "In prod stacks the Kubernetes API is private or reachable only from listed CIDRs, never from 0.0.0.0/0.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.eksCluster]: forType<eks.ClusterArgs>(types.eksCluster, (props, args, report) => {
      if (!isProd(args)) return args.notApplicable("not a prod stack");
      const vpc = props.vpcConfig;
      // EKS defaults: public endpoint on, open to 0.0.0.0/0 when publicAccessCidrs is not given.
      if (vpc?.endpointPublicAccess === false) return;
      const cidrs = vpc?.publicAccessCidrs ?? [];
      if (cidrs.length === 0 || openToWorld(cidrs)) {
        report("vpcConfig: set endpointPublicAccess false, or publicAccessCidrs to specific networks (not 0.0.0.0/0).");
      }
    }),
    [types.gkeCluster]: forType<container.ClusterArgs>(types.gkeCluster, (props, args, report) => {
      if (!isProd(args)) return args.notApplicable("not a prod stack");
      if (props.privateClusterConfig?.enablePrivateEndpoint === true) return;
      if (props.controlPlaneEndpointsConfig?.ipEndpointsConfig?.enabled === false) return;
      const networks = props.masterAuthorizedNetworksConfig;
      const cidrs = (networks?.cidrBlocks ?? []).map((block) => block.cidrBlock);
      if (!networks || cidrs.length === 0 || openToWorld(cidrs) || networks.gcpPublicCidrsAccessEnabled === true) {
        report(
          "set privateClusterConfig.enablePrivateEndpoint, or masterAuthorizedNetworksConfig with specific cidrBlocks " +
            "(not 0.0.0.0/0) and gcpPublicCidrsAccessEnabled false.",
        );
      }
    }),
  }),
};

type MetadataOptions = { httpTokens?: string; httpPutResponseHopLimit?: number } | undefined;

function checkImds(options: MetadataOptions, report: (message: string) => void): void {
  if (options?.httpTokens !== "required") report('metadataOptions.httpTokens must be "required" (IMDSv2 only).');
  // Hop limit 1: a pod's packets take one more hop, so pods cannot reach the node's credentials.
  if (options?.httpPutResponseHopLimit !== 1) report("metadataOptions.httpPutResponseHopLimit must be 1.");
}

export const imdsv2Required: ResourceValidationPolicy = {
  name: "imdsv2-required",
  description: "EC2 nodes require IMDSv2 with a hop limit of 1; managed node groups use a launch template that says so.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.launchTemplate]: forType<ec2.LaunchTemplateArgs>(types.launchTemplate, (props, _args, report) =>
      checkImds(props.metadataOptions, report),
    ),
    [types.ec2Instance]: forType<ec2.InstanceArgs>(types.ec2Instance, (props, _args, report) =>
      checkImds(props.metadataOptions, report),
    ),
    [types.eksNodeGroup]: forType<eks.NodeGroupArgs>(types.eksNodeGroup, (props, _args, report) => {
      // Without a launch template EKS picks the metadata options (hop limit 2 on its default template).
      if (!props.launchTemplate) report("node groups must use a launch template (which sets IMDSv2, hop limit 1).");
    }),
  }),
};

/** Subnets tagged for internet-facing load balancers are the public tier; nodes never go there. */
const publicLoadBalancerTag = "kubernetes.io/role/elb";

export const noPublicNodeIps: ResourceValidationPolicy = {
  name: "no-public-node-ips",
  description: "Nodes get no public IP addresses: private subnets, launch templates, GKE private nodes.",
  enforcementLevel: "mandatory",
  validateResource: forTypes({
    [types.launchTemplate]: forType<ec2.LaunchTemplateArgs>(types.launchTemplate, (props, _args, report) => {
      const exposed = (props.networkInterfaces ?? []).filter((nic) => nic.associatePublicIpAddress === "true");
      if (exposed.length > 0) report('networkInterfaces must not set associatePublicIpAddress "true".');
    }),
    [types.ec2Instance]: forType<ec2.InstanceArgs>(types.ec2Instance, (props, _args, report) => {
      if (props.associatePublicIpAddress === true) report("associatePublicIpAddress must not be true.");
    }),
    [types.subnet]: forType<ec2.SubnetArgs>(types.subnet, (props, _args, report) => {
      if (props.mapPublicIpOnLaunch !== true) return;
      if (props.tags?.[publicLoadBalancerTag] !== "1") {
        report(`mapPublicIpOnLaunch is only allowed on public load-balancer subnets (tag ${publicLoadBalancerTag}=1).`);
      }
    }),
    [types.gkeCluster]: forType<container.ClusterArgs>(types.gkeCluster, (props, _args, report) => {
      if (props.privateClusterConfig?.enablePrivateNodes !== true) report("privateClusterConfig.enablePrivateNodes must be true.");
    }),
    [types.gkeNodePool]: forType<container.NodePoolArgs>(types.gkeNodePool, (props, _args, report) => {
      if (props.networkConfig?.enablePrivateNodes === false) report("networkConfig.enablePrivateNodes must not be false.");
    }),
  }),
};

/** Resources whose loss loses data or locks it away: prod must protect them from `pulumi destroy`. */
export const statefulTypes = [
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:kms/key:Key",
  types.eksCluster,
  "gcp:storage/bucket:Bucket",
  "gcp:kms/cryptoKey:CryptoKey",
  "gcp:kms/keyRing:KeyRing",
  types.gkeCluster,
];

export const protectStatefulProdResources: ResourceValidationPolicy = {
  name: "protect-stateful-prod-resources",
  description: "In prod stacks buckets, KMS keys and clusters are created with the protect option.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (!statefulTypes.includes(args.type)) return args.notApplicable(`only applies to ${statefulTypes.join(", ")}`);
    if (!isProd(args)) return args.notApplicable("not a prod stack");
    if (!args.opts.protect) report(`${args.type} in a prod stack must be created with { protect: true }.`);
  },
};

export const cloudPolicies: ResourceValidationPolicy[] = [
  clusterSecretsEncryption,
  clusterAuditLogging,
  noPublicApiEndpointInProd,
  imdsv2Required,
  noPublicNodeIps,
  protectStatefulProdResources,
];
