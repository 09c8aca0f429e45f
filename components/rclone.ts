import type { ObjectStore } from "./cluster/types";

/**
 * rclone options for `s3://` URIs on AWS, with the pod's IRSA credentials. An S3-compatible store
 * has no workload identity for the pods to use, so whatever needs one refuses it (as config
 * validation does).
 */
export function s3RemoteOptions(store: ObjectStore, user = "the ML pipeline"): string {
  if (store.kind === "s3-compatible") {
    throw new Error(`${user} needs a bucket reachable through workload identity (EKS or GKE); an S3-compatible store has none`);
  }
  return `provider=AWS,env_auth=true${store.region ? `,region=${store.region}` : ""}`;
}

/**
 * A shell function, `remote <uri>`, mapping s3:// and gs:// URIs to rclone's on-the-fly remotes, with
 * the pod's workload identity. It reads the S3 options from $S3_REMOTE_OPTIONS (`s3RemoteOptions`).
 */
export const rcloneRemoteFunction = `remote() {
  case "$1" in
    s3://*) echo ":s3,$S3_REMOTE_OPTIONS:\${1#s3://}" ;;
    gs://*) echo ":gcs,env_auth=true,bucket_policy_only=true:\${1#gs://}" ;;
    *) echo "unsupported URI $1 (use s3:// or gs://)" >&2; exit 1 ;;
  esac
}`;
