import { createHash } from "node:crypto";
import * as gcp from "./gcp-services";
import * as pulumi from "@pulumi/pulumi";
import type { BucketAccess, ServiceAccountGrant, WorkloadIdentity } from "../types";

/**
 * Project roles GKE nodes need; nothing more. roles/container.defaultNodeServiceAccount is Google's
 * role for exactly what a node's own account does (logs, metrics, resource metadata), kept up to date
 * by Google; Artifact Registry reads are separate.
 */
export const nodeServiceAccountRoles = ["roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"] as const;

export const bucketRoles: Record<BucketAccess, string> = {
  read: "roles/storage.objectViewer",
  readwrite: "roles/storage.objectAdmin",
};

/** Annotation that links a Kubernetes service account to a GCP service account. */
export const workloadIdentityAnnotation = "iam.gke.io/gcp-service-account";

/**
 * A GCP service account id (6-30 chars, [a-z][-a-z0-9]*[a-z0-9]) derived from a resource name;
 * long names keep their start and get a hash suffix, so two grants never collide.
 */
export function serviceAccountId(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "");
  if (slug.length >= 6 && slug.length <= 30) return slug;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  return `${slug.slice(0, 23).replace(/-+$/, "") || "sa"}-${hash}`;
}

/**
 * The node pools' own service account. Nodes never run as the Compute Engine default account, which has
 * project Editor: a compromised node could otherwise change the whole project.
 */
export function createNodeServiceAccount(
  name: string,
  project: string,
  opts: pulumi.CustomResourceOptions,
): { account: gcp.serviceaccount.Account; roles: gcp.projects.IAMMember[] } {
  const account = new gcp.serviceaccount.Account(
    `${name}-nodes`,
    { project, accountId: serviceAccountId(`${name}-nodes`), displayName: `GKE nodes of ${name}` },
    opts,
  );
  const roles = nodeServiceAccountRoles.map(
    (role) =>
      new gcp.projects.IAMMember(
        `${name}-nodes-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
        { project, role, member: pulumi.interpolate`serviceAccount:${account.email}` },
        opts,
      ),
  );
  return { account, roles };
}

export interface GkeWorkloadIdentityArgs {
  readonly project: string;
  /** The stack's bucket: the only bucket a grant gives access to. */
  readonly bucket: gcp.storage.Bucket;
  readonly provider: gcp.Provider;
  /** The project's Workload Identity pool exists only once a cluster with it does. */
  readonly cluster: gcp.container.Cluster;
}

/**
 * Workload Identity: each grant gets its own GCP service account that one Kubernetes service account
 * may impersonate, with an IAM binding on the stack's bucket only (no project-wide storage role).
 */
export class GkeWorkloadIdentity implements WorkloadIdentity {
  readonly kind = "gke-workload-identity" as const;

  constructor(private readonly args: GkeWorkloadIdentityArgs) {}

  grant(name: string, grant: ServiceAccountGrant, parent: pulumi.Resource): pulumi.Output<Record<string, string>> {
    const { project, bucket, provider } = this.args;
    const opts = { parent, provider };
    const account = new gcp.serviceaccount.Account(
      `${name}-gsa`,
      {
        project,
        accountId: serviceAccountId(name),
        displayName: `${grant.namespace}/${grant.serviceAccountName}`,
        description: `Workload Identity for Kubernetes service account ${grant.namespace}/${grant.serviceAccountName}`,
      },
      opts,
    );
    const impersonation = new gcp.serviceaccount.IAMMember(
      `${name}-wi`,
      {
        serviceAccountId: account.name,
        role: "roles/iam.workloadIdentityUser",
        member: `serviceAccount:${project}.svc.id.goog[${grant.namespace}/${grant.serviceAccountName}]`,
      },
      // GCP rejects a binding to the <project>.svc.id.goog pool until a cluster has created it.
      { ...opts, dependsOn: [this.args.cluster] },
    );
    const bucketAccess = new gcp.storage.BucketIAMMember(
      `${name}-bucket`,
      { bucket: bucket.name, role: bucketRoles[grant.bucketAccess], member: pulumi.interpolate`serviceAccount:${account.email}` },
      opts,
    );
    // Resolves only once both bindings exist, so a service account annotated with it works from its first pod.
    return pulumi
      .all([account.email, impersonation.id, bucketAccess.id])
      .apply(([email]): Record<string, string> => ({ [workloadIdentityAnnotation]: email }));
  }
}
