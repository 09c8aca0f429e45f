import { spawnSync } from "node:child_process";
import { stringify } from "yaml";
import type { KubeObject } from "./render";
import { requireRealTool } from "./tools";

/** An object to send, and where it comes from (a resource's URN, or a release's name). */
export interface SourcedObject {
  readonly source: string;
  readonly object: KubeObject;
}

const fieldManager = "llm-platform-real-checks";
/** The objects as kubectl reads them: YAML 1.1, as in scripts/lib/manifests.ts (annotation "on" stays a string). */
const toDocuments = (objects: readonly KubeObject[]) => objects.map((object) => stringify(object, { lineWidth: 0, version: "1.1" })).join("---\n");

export function kubectl(kubeconfigPath: string, args: string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const run = spawnSync(requireRealTool("kubectl"), ["--kubeconfig", kubeconfigPath, ...args], {
    encoding: "utf8",
    input,
    maxBuffer: 256 * 1024 * 1024,
    timeout: 300_000,
  });
  return { ok: run.status === 0, stdout: run.stdout ?? "", stderr: run.stderr ?? String(run.error ?? "") };
}

/** Server-side apply for real (CRDs and namespaces, which later objects need to exist). */
export function applyForReal(kubeconfigPath: string, objects: readonly KubeObject[]): void {
  if (objects.length === 0) return;
  const run = kubectl(kubeconfigPath, ["apply", "--server-side", "--force-conflicts", `--field-manager=${fieldManager}`, "-f", "-"], toDocuments(objects));
  if (!run.ok) throw new Error(`the API server refused:\n${run.stderr.trim()}`);
}

/** Installs CRDs and waits until the API server serves each of them. */
export function installCrds(kubeconfigPath: string, crds: readonly KubeObject[]): void {
  applyForReal(kubeconfigPath, crds);
  const names = crds.map((crd) => `crd/${crd.metadata!.name!}`);
  for (let start = 0; start < names.length; start += 50) {
    const run = kubectl(kubeconfigPath, ["wait", "--for=condition=Established", "--timeout=120s", ...names.slice(start, start + 50)]);
    if (!run.ok) throw new Error(`CRDs not Established:\n${run.stderr.trim()}`);
  }
}

/** `group/Kind` of every cluster-scoped kind the API server serves (after CRDs are installed). */
export function clusterScopedKinds(kubeconfigPath: string): Set<string> {
  const run = kubectl(kubeconfigPath, ["api-resources", "--namespaced=false", "--no-headers"]);
  if (!run.ok) throw new Error(run.stderr);
  const kinds = new Set<string>();
  for (const line of run.stdout.trim().split("\n")) {
    // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND: the kind follows "false", the API version precedes it.
    const fields = line.trim().split(/\s+/);
    const at = fields.lastIndexOf("false");
    const apiVersion = fields[at - 1]!;
    kinds.add(`${apiVersion.includes("/") ? apiVersion.split("/")[0] : ""}/${fields[at + 1]}`);
  }
  return kinds;
}

export const groupKind = (object: KubeObject) => `${object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : ""}/${object.kind}`;

export interface DryRunResult {
  /** Objects the API server accepted. */
  readonly accepted: number;
  /** The server's message for each object it rejected, with the object's source. */
  readonly rejected: string[];
}

/**
 * Sends every object as a server-side apply dry-run with strict field validation: what the Pulumi
 * Kubernetes provider sends (server-side apply), checked against the API server's OpenAPI schemas and
 * the installed CRDs' schemas, without storing anything. Admission webhooks are not registered, so
 * operators' own validations are not part of it.
 */
export function dryRunApply(kubeconfigPath: string, objects: readonly SourcedObject[]): DryRunResult {
  if (objects.length === 0) return { accepted: 0, rejected: [] };
  const run = kubectl(
    kubeconfigPath,
    ["apply", "--server-side", "--dry-run=server", "--validate=strict", "--force-conflicts", `--field-manager=${fieldManager}`, "-o", "name", "-f", "-"],
    toDocuments(objects.map(({ object }) => object)),
  );
  const accepted = run.stdout.split("\n").filter((line) => line.trim()).length;
  const messages = run.stderr
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      // kubectl names the object in its message; add where that object comes from.
      const culprit = objects.find(({ object }) => object.metadata?.name && line.includes(`"${object.metadata.name}"`) && line.includes(object.kind));
      return culprit ? `${culprit.source}: ${line}` : line;
    });
  if (!run.ok && messages.length === 0) messages.push(`kubectl failed without a message (exit status not 0)`);
  return { accepted, rejected: messages };
}
