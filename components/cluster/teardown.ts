import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/**
 * What `pulumi destroy` must do inside the cluster before the cluster, its nodes and its storage driver
 * go: Pulumi uninstalls the releases (deleting a Service or a StatefulSet leaves its cloud load balancer
 * being torn down and its PersistentVolumeClaims in place), and nothing would wait for the cloud
 * controller and the CSI driver to delete the load balancers and disks they made. Those would outlive
 * the cluster, bill, and (load balancers' network interfaces) block the VPC's deletion.
 */
export const teardownTimeoutSeconds = 900;

/** The script `pulumi destroy` runs; POSIX sh with kubectl, the kubeconfig in $LLM_PLATFORM_KUBECONFIG. Pure, so tests run it. */
export function teardownScript(): string {
  return `set -eu
fail() { echo "llm-platform destroy: $*" >&2; exit 1; }
command -v kubectl >/dev/null 2>&1 || fail "kubectl is not installed where pulumi runs; it deletes the cluster's load balancers and volumes before the cluster goes"
# Never fall back to the machine's default kubeconfig: these deletions must hit this stack's cluster only.
[ -n "\${LLM_PLATFORM_KUBECONFIG:-}" ] || fail "no kubeconfig for this stack's cluster; refusing to delete anything"
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"' EXIT
printf '%s' "$LLM_PLATFORM_KUBECONFIG" > "$kubeconfig"
export KUBECONFIG="$kubeconfig"
deadline=$(( $(date +%s) + ${teardownTimeoutSeconds} ))
# LoadBalancer Services first: their finalizer holds each one until the cloud load balancer is gone.
kubectl get services --all-namespaces -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.namespace}{" "}{.metadata.name}{"\\n"}{end}' |
  while read -r namespace service; do
    [ -n "$service" ] || continue
    kubectl delete service --namespace "$namespace" "$service" --ignore-not-found --wait=true --timeout=${teardownTimeoutSeconds}s
  done
# Every claim (StatefulSets leave theirs behind); with reclaimPolicy Delete the CSI driver deletes the disk.
kubectl delete persistentvolumeclaims --all-namespaces --all --ignore-not-found --wait=true --timeout=${teardownTimeoutSeconds}s
while :; do
  left=$(kubectl get persistentvolumes -o jsonpath='{range .items[?(@.spec.persistentVolumeReclaimPolicy=="Delete")]}{.metadata.name}{" "}{end}')
  [ -z "$left" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || fail "these volumes were not deleted within ${teardownTimeoutSeconds}s and would outlive the cluster: $left"
  sleep 10
done
retained=$(kubectl get persistentvolumes -o jsonpath='{range .items[?(@.spec.persistentVolumeReclaimPolicy!="Delete")]}{.metadata.name}{" "}{end}')
[ -z "$retained" ] || echo "llm-platform destroy: volumes with reclaimPolicy Retain stay in the cloud (delete them yourself): $retained" >&2
echo "llm-platform destroy: no load balancer or volume of this cluster is left"
`;
}

export interface TeardownArgs {
  /** Secret; read again from state at destroy time. */
  readonly kubeconfig: pulumi.Input<string>;
  /** What must still exist while the teardown runs: nodes, the storage driver, the deployer's access. */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * A command that does nothing on `up` and runs `teardownScript()` on `destroy`. The cluster's Kubernetes
 * provider depends on it, so every Kubernetes resource is deleted before it runs, and it depends on the
 * nodes and storage driver, so those are deleted only after it.
 */
export function createTeardown(name: string, args: TeardownArgs, parent: pulumi.Resource): command.local.Command {
  const provider = new command.Provider(`${name}-command`, {}, { parent });
  return new command.local.Command(`${name}-teardown`, {
    delete: teardownScript(),
    interpreter: ["/bin/sh", "-c"],
    environment: { LLM_PLATFORM_KUBECONFIG: pulumi.secret(args.kubeconfig) },
    logging: "stdoutAndStderr",
  }, { parent, provider, dependsOn: args.dependsOn });
}
