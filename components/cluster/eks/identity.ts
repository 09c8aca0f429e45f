import * as aws from "./aws-services";
import * as pulumi from "@pulumi/pulumi";
import type { BucketAccess, ServiceAccountGrant, WorkloadIdentity } from "../types";
import { bucketAccessPolicy, irsaTrustPolicy, serviceTrustPolicy, type PolicyDocument } from "./policies";

type AwsOptions = { parent: pulumi.Resource; provider: aws.Provider };
const json = (document: PolicyDocument) => JSON.stringify(document);

/** An AWS managed policy in the provider's partition (aws, aws-us-gov, aws-cn), e.g. "AmazonEKSClusterPolicy". */
export const managedPolicyArn = (partition: pulumi.Input<string>, policy: string): pulumi.Output<string> =>
  pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`;

/** The IAM roles of the control plane and of the nodes, with AWS's managed policies for each. */
export function createClusterRoles(name: string, partition: pulumi.Input<string>, opts: AwsOptions): { clusterRole: aws.iam.Role; nodeRole: aws.iam.Role; attachments: aws.iam.RolePolicyAttachment[] } {
  const managed = (policy: string) => managedPolicyArn(partition, policy);
  const clusterRole = new aws.iam.Role(`${name}-cluster-role`, { assumeRolePolicy: json(serviceTrustPolicy("eks.amazonaws.com")) }, opts);
  const nodeRole = new aws.iam.Role(`${name}-node-role`, { assumeRolePolicy: json(serviceTrustPolicy("ec2.amazonaws.com")) }, opts);
  const attach = (role: aws.iam.Role, roleName: string, policy: string) =>
    new aws.iam.RolePolicyAttachment(`${name}-${roleName}-${policy}`, { role: role.name, policyArn: managed(policy) }, opts);
  const attachments = [
    attach(clusterRole, "cluster", "AmazonEKSClusterPolicy"),
    attach(nodeRole, "node", "AmazonEKSWorkerNodePolicy"),
    attach(nodeRole, "node", "AmazonEC2ContainerRegistryReadOnly"),
    // No AmazonEKS_CNI_Policy here: the VPC CNI gets it through its own IRSA role, so that no other
    // host-network pod can manage ENIs with the node's credentials.
  ];
  return { clusterRole, nodeRole, attachments };
}

export interface IrsaRoleArgs {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Inline policy document (JSON) the role gets. */
  readonly policy?: pulumi.Input<string>;
  /** AWS managed policies to attach, by their path after `arn:<partition>:iam::aws:policy/`. */
  readonly managedPolicies?: readonly string[];
}

/**
 * IRSA: an OIDC provider for the cluster's issuer, and roles that exactly one service account can assume.
 * `grant()` is what add-ons see, through the PlatformCluster's WorkloadIdentity.
 */
export class IrsaIdentity implements WorkloadIdentity {
  readonly kind = "irsa";

  constructor(
    readonly oidcProvider: aws.iam.OpenIdConnectProvider,
    private readonly issuerUrl: pulumi.Output<string>,
    private readonly provider: aws.Provider,
    private readonly bucketArn: pulumi.Output<string>,
    /** The provider's partition, for managed policy ARNs. */
    private readonly partition: pulumi.Input<string>,
  ) {}

  /** A role for one service account; children are named `${name}-role`, `${name}-policy`, `${name}-<managed>`. */
  role(name: string, args: IrsaRoleArgs, parent: pulumi.Resource): aws.iam.Role {
    const opts = { parent, provider: this.provider };
    const trust = pulumi
      .all([this.oidcProvider.arn, this.issuerUrl])
      .apply(([arn, issuer]) => json(irsaTrustPolicy(arn, issuer, args.namespace, args.serviceAccount)));
    const role = new aws.iam.Role(`${name}-role`, { assumeRolePolicy: trust }, opts);
    if (args.policy) new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: args.policy }, opts);
    for (const policy of args.managedPolicies ?? []) {
      new aws.iam.RolePolicyAttachment(`${name}-${policy.split("/").pop()}`, { role: role.name, policyArn: managedPolicyArn(this.partition, policy) }, opts);
    }
    return role;
  }

  grant(name: string, grant: ServiceAccountGrant, parent: pulumi.Resource): pulumi.Output<Record<string, string>> {
    const role = this.role(name, {
      namespace: grant.namespace,
      serviceAccount: grant.serviceAccountName,
      policy: this.bucketPolicy(grant.bucketAccess),
    }, parent);
    return role.arn.apply((arn): Record<string, string> => ({ "eks.amazonaws.com/role-arn": arn }));
  }

  private bucketPolicy(access: BucketAccess): pulumi.Output<string> {
    return this.bucketArn.apply((arn) => json(bucketAccessPolicy(arn, access)));
  }
}

/** The cluster's OIDC issuer as an IAM identity provider, so that service accounts can assume roles. */
export function createOidcProvider(name: string, issuerUrl: pulumi.Output<string>, opts: AwsOptions): aws.iam.OpenIdConnectProvider {
  // No thumbprint: IAM validates EKS issuers against its own trusted CAs.
  return new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuerUrl, clientIdLists: ["sts.amazonaws.com"] }, opts);
}
