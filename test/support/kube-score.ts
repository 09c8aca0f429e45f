import { spawnSync } from "node:child_process";
import { toYaml } from "../../scripts/lib/manifests";
import { requireTool } from "../../scripts/lib/tools";

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The kube-score checks the objects fail (grade below OK), sorted. Two checks are skipped on purpose
 * (charts/llm-serving/README.md, kube-score): the pull policy of a pinned image, and identical
 * readiness and liveness probes on a server with one health endpoint.
 */
export function kubeScoreFindings(objects: readonly Obj[]): string[] {
  const run = spawnSync(
    requireTool("kube-score"),
    ["score", "-o", "json", "--ignore-test", "container-image-pull-policy", "--ignore-test", "pod-probes-identical", "--enable-optional-test", "container-seccomp-profile", "-"],
    { input: objects.map((o) => toYaml(o)).join("---\n"), encoding: "utf8" },
  );
  if (run.status !== 0) throw new Error(run.stderr);
  return (JSON.parse(run.stdout) as Obj[])
    .flatMap((object) => object.checks.filter((check: Obj) => !check.skipped && check.grade < 10).map((check: Obj) => check.check.id as string))
    .sort();
}
