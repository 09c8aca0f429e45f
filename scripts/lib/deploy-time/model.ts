import {
  helmReleaseType,
  isServingRelease,
  loadBalancerServices,
  nodePools,
  platformOf,
  servedModels,
  type Platform,
} from "../inventory";
import { coldStartFigures, hubSyncAnnotations, hubSyncPlan } from "../../../components/serving/cold-start";
import { coldStarts } from "../stack-report/cold-start";
import type { SynthResource } from "../synthesize";
import {
  chartDurations,
  createDurations,
  defaultReleaseTimeoutSeconds,
  fallbackDurations,
  k3sCommandDurations,
  unknownChartDuration,
  waits,
  type Duration,
} from "./durations";
import { criticalPath, tasksOf } from "./graph";

export interface ModeledDuration {
  readonly seconds: number;
  /** Where each part of the figure comes from ("chart kube-prometheus-stack: assumption: ..."). */
  readonly parts: readonly string[];
  /** True when the type is in no table and a per-package fallback was used. */
  readonly fallback: boolean;
}

export interface ReleaseTiming {
  readonly name: string;
  readonly seconds: number;
  readonly timeoutSeconds: number;
  /** Serving releases: weights download and load against the startup probe's budget. */
  readonly weightsSeconds?: number;
  readonly startupBudgetSeconds?: number;
}

export interface DeployTime {
  readonly criticalPathSeconds: number;
  readonly serialSeconds: number;
  readonly parallelism: number;
  readonly chain: readonly { name: string; type: string; seconds: number; startSeconds: number; source: string }[];
  readonly releases: readonly ReleaseTiming[];
  /** Resources whose type is in no table (a per-package fallback figure was used). */
  readonly untabled: readonly string[];
}

const part = (label: string, duration: Duration) => `${label} ${Math.round(duration.seconds)} s (${duration.source})`;

interface Context {
  /** Each model's cold start, from the load plan its pods carry (the same figures as the probes). */
  readonly coldStarts: ReturnType<typeof coldStarts>;
  readonly platform: Platform;
  readonly models: ReturnType<typeof servedModels>;
  readonly pools: ReturnType<typeof nodePools>;
  /** URNs of the Hub weights sync Jobs. */
  readonly hubSyncJobs: ReadonlySet<string>;
}

function servingDuration(resource: SynthResource, context: Context): ModeledDuration & { weightsSeconds: number } {
  const model = context.models.find((m) => m.urn === resource.urn)!;
  const pool = context.pools.find((p) => p.name === model.pool);
  const parts: string[] = [];
  let seconds = 0;
  // A cloud pool created empty gets its first node from cluster-autoscaler once the pod is pending.
  if (pool && pool.initial === 0) {
    seconds += waits.gpuNodeScaleUp.seconds;
    parts.push(part(`GPU node for pool ${pool.name}`, waits.gpuNodeScaleUp));
  }
  // A release after its weights sync lands on the node the sync ran on, which pulled the image already.
  if (resource.dependsOn.some((urn) => context.hubSyncJobs.has(urn))) {
    parts.push("image pull 0 s (pulled onto the pool's node by the weights sync before)");
  } else {
    seconds += waits.vllmImagePull.seconds;
    parts.push(part("image pull", waits.vllmImagePull));
  }
  // Weights and engine start as the probes are sized (components/serving/cold-start.ts), so a model
  // streamed from the bucket is not modeled as a Hub download.
  const coldStart = context.coldStarts.find((entry) => entry.model === model.name)!;
  const weightPhases = coldStart.phases.filter((phase) => phase.phase === "weight transfer" || phase.phase === "load");
  const weightsSeconds = weightPhases.reduce((total, phase) => total + phase.seconds, 0);
  seconds += weightsSeconds;
  for (const phase of weightPhases) parts.push(`${phase.phase} ${Math.round(phase.seconds)} s (${phase.assumption})`);
  return { seconds, parts, fallback: false, weightsSeconds };
}

function releaseDuration(resource: SynthResource, context: Context): ModeledDuration {
  // An OCI chart is named by its full reference; the table keys it by the chart's name.
  const chart = String(resource.inputs.chart ?? "").replace(/^oci:\/\/.*\//, "");
  // `atomic` turns the wait back on; without either, Helm returns once the objects are applied.
  if (resource.inputs.skipAwait === true && resource.inputs.atomic !== true) {
    return { seconds: waits.releaseWithoutWait.seconds, parts: [part(`chart ${chart}`, waits.releaseWithoutWait)], fallback: false };
  }
  if (isServingRelease(resource)) return servingDuration(resource, context);
  const base = chartDurations[chart] ?? unknownChartDuration;
  let seconds = base.seconds;
  const parts = [part(`chart ${chart}`, base)];
  const wait = waits.loadBalancer[context.platform];
  for (let i = loadBalancerServices(resource).length; i > 0; i--) {
    seconds += wait.seconds;
    parts.push(part("load balancer", wait));
  }
  return { seconds, parts, fallback: !(chart in chartDurations) };
}

const annotationsOf = (resource: SynthResource): Record<string, string> =>
  (resource.inputs.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {};
const isHubSyncJob = (resource: SynthResource) => resource.type === "kubernetes:batch/v1:Job" && hubSyncAnnotations.weightsGiB in annotationsOf(resource);

/** The one-time copy of Hub weights into the bucket, with the plan its deadline is sized from. */
function hubSyncDuration(resource: SynthResource, context: Context): ModeledDuration {
  const annotations = annotationsOf(resource);
  const weightsGiB = Number(annotations[hubSyncAnnotations.weightsGiB]);
  const pool = context.pools.find((p) => p.name === annotations[hubSyncAnnotations.pool]);
  const disk = pool?.imageDiskMiBps ?? coldStartFigures.gp3BaselineMiBps.value;
  const plan = hubSyncPlan(weightsGiB, disk);
  const { hubDownloadMiBps: hub, bucketUploadMiBps: upload, nodeFromZero } = coldStartFigures;
  const parts = [
    `image pull ${Math.round(plan.imagePullSeconds)} s (onto a ${disk} MiB/s disk)`,
    `Hub download ${Math.round(plan.downloadSeconds)} s (${Math.round(weightsGiB)} GiB at ${Math.min(hub.value, disk)} MiB/s: ${hub.source})`,
    `upload ${Math.round(plan.uploadSeconds)} s (at ${Math.min(upload.value, disk)} MiB/s: ${upload.source})`,
  ];
  let seconds = plan.totalSeconds;
  if (pool && pool.initial === 0) {
    seconds += nodeFromZero.value;
    parts.unshift(`GPU node for pool ${pool.name} ${nodeFromZero.value} s (${nodeFromZero.source})`);
  }
  return { seconds, parts, fallback: false };
}

function commandDuration(resource: SynthResource): Duration {
  const script = String(resource.inputs.create ?? "");
  if (script.includes("k3s server setup")) return k3sCommandDurations.server;
  if (script.includes("k3s agent setup")) return k3sCommandDurations.agent;
  return k3sCommandDurations.other;
}

/** The modeled create duration of one resource, with its sources. */
export function durationOf(resource: SynthResource, context: Context): ModeledDuration {
  if (!resource.custom) return { seconds: 0, parts: ["component: done when its children are"], fallback: false };
  if (resource.type === helmReleaseType) return releaseDuration(resource, context);
  if (resource.type === "command:remote:Command") {
    const duration = commandDuration(resource);
    return { seconds: duration.seconds, parts: [duration.source], fallback: false };
  }
  if (isHubSyncJob(resource)) return hubSyncDuration(resource, context);
  const tabled = createDurations[resource.type];
  if (tabled) return { seconds: tabled.seconds, parts: [tabled.source], fallback: false };
  const fallback = fallbackDurations[resource.type.split(":")[0]!] ?? fallbackDurations.other!;
  return { seconds: fallback.seconds, parts: [fallback.source], fallback: true };
}

/** Critical path of a fresh `pulumi up` of the synthesized stack. */
export function deployTime(resources: readonly SynthResource[]): DeployTime {
  const hubSyncJobs = new Set(resources.filter(isHubSyncJob).map((r) => r.urn));
  const context: Context = { platform: platformOf(resources), models: servedModels(resources), pools: nodePools(resources), coldStarts: coldStarts(resources), hubSyncJobs };
  const durations = new Map(resources.map((resource) => [resource.urn, durationOf(resource, context)]));
  const path = criticalPath(tasksOf(resources, (resource) => durations.get(resource.urn)!.seconds));
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const chain = path.chain
    .filter((step) => step.seconds > 0 && byUrn.has(step.id))
    .map((step) => {
      const resource = byUrn.get(step.id)!;
      return { name: resource.name, type: resource.type, seconds: step.seconds, startSeconds: step.startSeconds, source: durations.get(step.id)!.parts.join("; ") };
    });
  const releases = resources
    .filter((resource) => resource.type === helmReleaseType)
    .map((resource): ReleaseTiming => {
      const modeled = durations.get(resource.urn)! as ModeledDuration & { weightsSeconds?: number };
      const timeoutSeconds = typeof resource.inputs.timeout === "number" ? resource.inputs.timeout : defaultReleaseTimeoutSeconds;
      const model = context.models.find((m) => m.urn === resource.urn);
      return {
        name: resource.name,
        seconds: modeled.seconds,
        timeoutSeconds,
        ...(model ? { weightsSeconds: modeled.weightsSeconds, startupBudgetSeconds: model.startupBudgetSeconds } : {}),
      };
    });
  return {
    criticalPathSeconds: path.seconds,
    serialSeconds: path.serialSeconds,
    parallelism: path.seconds > 0 ? path.serialSeconds / path.seconds : 1,
    chain,
    releases,
    untabled: resources.filter((resource) => durations.get(resource.urn)!.fallback).map((resource) => resource.name),
  };
}
