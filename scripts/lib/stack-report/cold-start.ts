import { coldStartFigures, imagePullSeconds } from "../../../components/serving/cold-start";
import { loadPlanAnnotations } from "../../../components/serving/values";
import { nodePools, servedModels, weightsGB } from "../inventory";
import type { SynthResource } from "../synthesize";

/** One phase of a replica's cold start, with where its figure comes from. */
export interface ColdStartPhase {
  readonly phase: "node from zero" | "image pull" | "weight transfer" | "load";
  readonly seconds: number;
  readonly assumption: string;
}

/** A model's modeled cold start: on a node that already has the image (warm), and on a GPU node from zero. */
export interface ModelColdStart {
  readonly model: string;
  readonly warmSeconds: number;
  readonly fromZeroSeconds: number;
  readonly phases: readonly ColdStartPhase[];
}

/**
 * Each served model's cold start, from the load plan the program annotated its pods with and the
 * figures the budgets use (components/serving/cold-start.ts), so the report and the probes agree.
 */
export function coldStarts(resources: readonly SynthResource[]): ModelColdStart[] {
  const pools = nodePools(resources);
  return servedModels(resources).map((model) => {
    const annotated = Number(model.podAnnotations[loadPlanAnnotations.weightsGiB]);
    const weightsGiB = Number.isFinite(annotated) && annotated > 0 ? annotated : (weightsGB(model.modelId) ?? 16) * 1e9 / 2 ** 30;
    const path = model.podAnnotations[loadPlanAnnotations.path] ?? "hub";
    const throughput = Number(model.podAnnotations[loadPlanAnnotations.throughputMiBps]) || coldStartFigures.gp3BaselineMiBps.value;
    const disk = pools.find((pool) => pool.name === model.pool)?.diskThroughputMiBps ?? coldStartFigures.gp3BaselineMiBps.value;
    const { imageCompressedGB: compressed, imageDownloadMBps: download, imageExtractedGiB: extracted, nodeFromZero, engineStartSeconds } = coldStartFigures;
    const phases: ColdStartPhase[] = [
      { phase: "node from zero", seconds: nodeFromZero.value, assumption: nodeFromZero.source },
      {
        phase: "image pull",
        seconds: imagePullSeconds(disk),
        assumption: `${compressed.value} GB compressed at ${download.value} MB/s (${download.source}), then ${extracted.value} GiB extracted onto a ${disk} MiB/s root volume`,
      },
      {
        phase: "weight transfer",
        seconds: (weightsGiB * 1024) / throughput,
        assumption: `${Math.round(weightsGiB)} GiB (${path}) at ${throughput} MiB/s`,
      },
      { phase: "load", seconds: engineStartSeconds.value, assumption: engineStartSeconds.source },
    ];
    const sum = (names: readonly ColdStartPhase["phase"][]) => phases.filter((p) => names.includes(p.phase)).reduce((total, p) => total + p.seconds, 0);
    return {
      model: model.name,
      // A warm node has the image (IfNotPresent): only the weights and the engine's start remain.
      warmSeconds: sum(["weight transfer", "load"]),
      fromZeroSeconds: sum(["node from zero", "image pull", "weight transfer", "load"]),
      phases,
    };
  });
}
