import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiServer } from "./apiserver";
import { startDaemon, waitUntil } from "./daemon";
import { kubectl } from "./dry-run";
import { requireRealTool } from "./tools";

export interface Controllers {
  stop(): Promise<void>;
}

/**
 * kube-controller-manager and kube-scheduler against startApiServer()'s control plane, so that
 * Deployments, StatefulSets, DaemonSets and Jobs get pods, the pods get scheduled onto kwok's nodes
 * and namespaces are emptied on delete. Not needed (and not started) for your own cluster.
 */
export async function startControllers(api: ApiServer): Promise<Controllers> {
  if (!api.serviceAccountKeyPath) return { stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), "llm-platform-controllers-"));
  const common = [`--kubeconfig=${api.kubeconfigPath}`, "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=0"];
  const controllerManager = startDaemon(
    "kube-controller-manager",
    requireRealTool("kube-controller-manager"),
    [
      ...common,
      `--authentication-kubeconfig=${api.kubeconfigPath}`,
      `--authorization-kubeconfig=${api.kubeconfigPath}`,
      `--service-account-private-key-file=${api.serviceAccountKeyPath}`,
      "--use-service-account-credentials=false",
      // No node lifecycle or taint eviction: kwok's simulated nodes renew their leases late on a loaded
      // machine, and the controller would then mark them NotReady and take their pods out of service.
      "--controllers=*,-node-ipam-controller,-cloud-node-lifecycle-controller,-service-lb-controller,-node-route-controller,-node-lifecycle-controller,-taint-eviction-controller",
    ],
    join(dir, "controller-manager.log"),
  );
  const scheduler = startDaemon(
    "kube-scheduler",
    requireRealTool("kube-scheduler"),
    [...common, `--authentication-kubeconfig=${api.kubeconfigPath}`, `--authorization-kubeconfig=${api.kubeconfigPath}`],
    join(dir, "scheduler.log"),
  );
  const stop = async () => {
    await scheduler.stop();
    await controllerManager.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The token controller fills the default namespace's service account once the manager runs.
    await waitUntil(controllerManager, "the default service account", async () => kubectl(api.kubeconfigPath, ["get", "serviceaccount", "default", "-n", "default"]).ok, 120_000);
    await waitUntil(scheduler, "a healthy scheduler", async () => scheduler.child.exitCode === null, 5_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}
