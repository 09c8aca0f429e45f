import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { GpuPool, ObjectStore, WorkloadIdentity } from "../cluster/types";
import { rcloneRemoteFunction, s3RemoteOptions } from "../rclone";
import { images } from "../versions";
import { hubSyncAnnotations, hubSyncDownloadGiB, hubSyncPlan } from "./cold-start";

export interface HubWeightsSyncArgs {
  /** The release name (names the Job and its service account) and the Hugging Face model id to copy. */
  readonly model: { readonly name: string; readonly model: string };
  /** The model's weights in GiB: they size the download volume and the Job's deadline. */
  readonly weightsGiB: number;
  readonly namespace: string;
  /** `<bucket>/models/<model id>`: the prefix the serving release reads. */
  readonly destination: pulumi.Input<string>;
  readonly objectStore: ObjectStore;
  readonly identity: WorkloadIdentity;
  /**
   * The model's GPU pool. The Job runs there without taking a GPU: the node pulls the vLLM image the
   * serving pod needs next anyway, and its root volume holds the download.
   */
  readonly pool: GpuPool;
  /** Secret (key "token") with the Hub token; without it only public models can be copied. */
  readonly hfTokenSecretName?: pulumi.Input<string>;
  readonly provider: k8s.Provider;
  /** What the Job waits on besides its own service account (the namespace, the token Secret). */
  readonly dependsOn?: readonly pulumi.Resource[];
}

const uid = 10001;
const restricted = {
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
const work = { name: "work", mountPath: "/work" };
const tmp = { name: "tmp", mountPath: "/tmp" };

/**
 * Found in the bucket means config.json and at least one .safetensors file under the prefix. The
 * upload writes config.json last, so a copy cut short is never taken as complete.
 */
const checkScript = `set -eu
${rcloneRemoteFunction}
status=0
listing=$(rclone lsf --files-only --max-depth 1 "$(remote "$DESTINATION")") || status=$?
# 3 is rclone's "directory not found": nothing there yet.
case $status in
  0|3) ;;
  *) echo "weights-sync: cannot list $DESTINATION (rclone exit $status): check the bucket access of service account $SERVICE_ACCOUNT" >&2; exit "$status" ;;
esac
if printf '%s\\n' "$listing" | grep -qx config.json && printf '%s\\n' "$listing" | grep -q '[.]safetensors$'; then
  echo "weights-sync: $MODEL is already in $DESTINATION, nothing to copy"
  touch /work/present
fi`;

// Safetensors, configs and tokenizer files only: no original/ checkpoint, no .bin or .pth copies.
const downloadScript = `import os, sys
if os.path.exists("/work/present"):
    sys.exit(0)
from huggingface_hub import snapshot_download
try:
    snapshot_download(
        repo_id=os.environ["MODEL"],
        local_dir="/work/model",
        allow_patterns=["*.safetensors", "*.json", "*.model", "*.tiktoken", "*.txt", "*.jinja"],
        # original/: Meta's own checkpoint format; consolidated*: Mistral's single-file copy of the
        # same weights beside the sharded ones. vLLM reads neither from a Hugging Face layout.
        ignore_patterns=["original/*", "consolidated*"],
        # 4 files at once: each costs the Xet client a download buffer.
        max_workers=4,
    )
except Exception as error:
    hint = "" if os.environ.get("HF_TOKEN") else " (no hfToken is set: a gated model needs one, or copy the weights into the bucket yourself)"
    print(f"weights-sync: cannot download {os.environ['MODEL']} from Hugging Face: {type(error).__name__}: {error}{hint}", file=sys.stderr)
    sys.exit(1)
`;

const uploadScript = `set -eu
${rcloneRemoteFunction}
if [ -e /work/present ]; then exit 0; fi
dest="$(remote "$DESTINATION")"
if [ ! -f /work/model/config.json ]; then
  echo "weights-sync: $MODEL has no config.json at its top level: not a Hugging Face transformers layout vLLM can stream; copy it into the bucket yourself" >&2
  exit 1
fi
rclone copy /work/model "$dest" --exclude /config.json --exclude "/.cache/**" --transfers 8 --s3-upload-concurrency 4 --s3-chunk-size 64M
rclone copyto /work/model/config.json "$dest/config.json"
echo "weights-sync: $MODEL copied to $DESTINATION"`;

/**
 * The one-time copy of a Hugging Face model into the stack's bucket, for a model that streams or
 * copies its weights from there: no serving pod ever downloads from the Hub, and an empty prefix
 * fails here, with the reason, instead of crash-looping a release until Helm's timeout. A Job
 * that `pulumi up` waits for; it finds the weights already there and stops on every later run.
 */
export class HubWeightsSync extends pulumi.ComponentResource {
  readonly job: k8s.batch.v1.Job;
  /** Seconds `pulumi up` waits for the Job before it fails the deployment. */
  readonly budgetSeconds: number;

  constructor(name: string, args: HubWeightsSyncArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:serving:HubWeightsSync", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const accountName = `${args.model.name}-weights-sync`;
    const plan = hubSyncPlan(args.weightsGiB, args.pool.rootVolumeMiBps);
    this.budgetSeconds = plan.budgetSeconds;

    const annotations = args.identity.grant(
      `${name}-identity`,
      { namespace: args.namespace, serviceAccountName: accountName, bucketAccess: "readwrite" },
      this,
    );
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: accountName, namespace: args.namespace, annotations } },
      { ...k8sOpts, dependsOn: [...(args.dependsOn ?? [])] },
    );

    const downloadGiB = hubSyncDownloadGiB(args.weightsGiB);
    const env = [
      { name: "MODEL", value: args.model.model },
      { name: "DESTINATION", value: args.destination },
      { name: "SERVICE_ACCOUNT", value: accountName },
      { name: "S3_REMOTE_OPTIONS", value: args.objectStore.kind === "gcs" ? "" : s3RemoteOptions(args.objectStore, "the Hub weights sync") },
      { name: "HOME", value: "/tmp" },
      { name: "RCLONE_CONFIG", value: "/tmp/rclone.conf" },
    ];
    const small = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } };
    this.job = new k8s.batch.v1.Job(
      `${name}-job`,
      {
        metadata: {
          name: accountName,
          namespace: args.namespace,
          annotations: {
            [hubSyncAnnotations.weightsGiB]: String(args.weightsGiB),
            [hubSyncAnnotations.pool]: args.pool.name,
            // A Job that failed (no token, a deadline) is replaced by the next `pulumi up`, which
            // would otherwise wait on the failed one again.
            "pulumi.com/replaceUnready": "true",
          },
        },
        spec: {
          // A retry starts from an empty volume; two are enough for a Hub or network hiccup.
          backoffLimit: 2,
          activeDeadlineSeconds: plan.budgetSeconds,
          template: {
            spec: {
              serviceAccountName: accountName,
              restartPolicy: "Never",
              nodeSelector: { ...args.pool.scheduling.nodeSelector },
              tolerations: args.pool.scheduling.tolerations.map((toleration) => ({ ...toleration })),
              securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } },
              initContainers: [
                { name: "check", image: images.rclone, command: ["/bin/sh", "-c", checkScript], env, resources: small, securityContext: restricted, volumeMounts: [work, tmp] },
                {
                  name: "download",
                  image: images.vllm,
                  command: ["python3", "-c", downloadScript],
                  env: [
                    { name: "MODEL", value: args.model.model },
                    { name: "HF_HOME", value: "/work/hf-home" },
                    { name: "HOME", value: "/tmp" },
                    { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
                    // The Xet client's chunk cache would keep a second copy on the same disk.
                    { name: "HF_XET_CHUNK_CACHE_SIZE_BYTES", value: "0" },
                    // The CUDA image would otherwise see every GPU of the node without requesting one.
                    { name: "NVIDIA_VISIBLE_DEVICES", value: "void" },
                    ...(args.hfTokenSecretName
                      ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: args.hfTokenSecretName, key: "token" } } }]
                      : []),
                  ],
                  // The Xet client buffers up to ~2 GiB plus 512 MiB per file in flight.
                  resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "4", memory: "8Gi" } },
                  securityContext: restricted,
                  volumeMounts: [work, tmp],
                },
              ],
              containers: [
                {
                  name: "upload",
                  image: images.rclone,
                  command: ["/bin/sh", "-c", uploadScript],
                  env,
                  // 8 files × 4 parts × 64 MiB in flight.
                  resources: {
                    requests: { cpu: "1", memory: "2560Mi", "ephemeral-storage": `${downloadGiB}Gi` },
                    limits: { cpu: "4", memory: "4Gi", "ephemeral-storage": `${downloadGiB + 2}Gi` },
                  },
                  securityContext: restricted,
                  volumeMounts: [work, tmp],
                },
              ],
              volumes: [
                { name: "work", emptyDir: { sizeLimit: `${downloadGiB}Gi` } },
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              ],
            },
          },
        },
      },
      {
        ...k8sOpts,
        dependsOn: [account],
        // A little beyond the Job's own deadline, so that the failure reads DeadlineExceeded.
        customTimeouts: { create: `${plan.budgetSeconds + 300}s`, update: `${plan.budgetSeconds + 300}s` },
        // The name is fixed and a Job's template cannot change: a new spec is a new Job.
        deleteBeforeReplace: true,
      },
    );
    this.registerOutputs({ job: this.job.metadata.name });
  }
}
