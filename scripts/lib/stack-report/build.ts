import { eksSupport, estimateCost, poolNodes, type CostEstimate } from "../cost/model";
import { eksExtendedSupportHourly, hoursPerMonth, regions } from "../cost/prices";
import { deployTime, type DeployTime } from "../deploy-time/model";
import { nodePools, servedModels } from "../inventory";
import type { SynthResource } from "../synthesize";
import { coldStarts, type ModelColdStart } from "./cold-start";

/** Bumped when a field of the JSON report changes meaning or name; the PR workflow reads it. */
export const reportSchemaVersion = 1;

export interface Risk {
  /** "risk": expected to fail or to cost money for nothing; "warning": within 20% of a limit. */
  readonly severity: "risk" | "warning";
  readonly kind: "release-timeout" | "startup-probe" | "gpu-idle" | "unpriced" | "eks-extended-support";
  readonly resource: string;
  readonly message: string;
}

export interface StackReport {
  readonly schemaVersion: number;
  readonly stack: string;
  readonly platform: CostEstimate["platform"];
  readonly resourceCount: number;
  readonly deployTime: DeployTime;
  readonly cost: CostEstimate;
  /** Each served model's modeled cold start, phase by phase. */
  readonly coldStarts: readonly ModelColdStart[];
  readonly risks: readonly Risk[];
}

const minutes = (seconds: number) => `${(seconds / 60).toFixed(1)} min`;
/** Share of a limit above which a figure is reported as a warning. */
const warnShare = 0.8;

function limitRisk(kind: Risk["kind"], resource: string, what: string, seconds: number, limit: number, limitName: string): Risk[] {
  if (limit <= 0 || seconds < warnShare * limit) return [];
  const exceeds = seconds > limit;
  return [
    {
      severity: exceeds ? "risk" : "warning",
      kind,
      resource,
      message: `${resource}: ${what} modeled at ${minutes(seconds)} ${exceeds ? "exceeds" : "is close to"} its ${limitName} of ${minutes(limit)}`,
    },
  ];
}

function gpuIdleRisks(resources: readonly SynthResource[], cost: CostEstimate): Risk[] {
  const models = servedModels(resources);
  const idleLines = cost.scenarios.idle.lines;
  const cloud = nodePools(resources)
    .filter((pool) => pool.gpu && poolNodes(pool, models, "idle") > 0)
    .map((pool): Risk => {
      const nodes = poolNodes(pool, models, "idle");
      const usd = idleLines.find((entry) => entry.item.startsWith(`nodes ${pool.name}:`))?.monthlyUsd ?? 0;
      const holders = models.filter((model) => model.pool === pool.name && model.minReplicas > 0).map((model) => `${model.name} minReplicas ${model.minReplicas}`);
      return {
        severity: "risk",
        kind: "gpu-idle",
        resource: pool.name,
        message:
          `GPU pool ${pool.name}: ${nodes} × ${pool.machineType}${pool.spot ? " (spot)" : ""} run while idle, $${Math.round(usd).toLocaleString("en-US")}/month ` +
          `(pool min ${pool.min}${holders.length > 0 ? `; ${holders.join(", ")}` : ""})`,
      };
    });
  if (cost.platform !== "k3s") return cloud;
  // k3s GPU machines are always on; a model with replicas holds their GPUs while nobody calls it.
  // Only models on a GPU pool hold GPUs; a CPU model (llama.cpp) has no pool.
  return models
    .filter((model) => model.minReplicas > 0 && model.pool !== undefined)
    .map((model) => ({
      severity: "warning" as const,
      kind: "gpu-idle" as const,
      resource: model.name,
      message: `model ${model.name} holds ${model.minReplicas * model.gpuCount} GPU(s) of pool ${model.pool ?? "?"} while idle (machines you own: no cloud cost)`,
    }));
}

/** Days before the end of EKS standard support from which the report warns. */
const supportNoticeDays = 90;

function eksSupportRisks(resources: readonly SynthResource[], cost: CostEstimate): Risk[] {
  const support = eksSupport(resources);
  const standardHourly = cost.region ? regions[cost.region]?.controlPlaneHourly : undefined;
  if (!support || support.daysLeft === undefined || support.daysLeft > supportNoticeDays || standardHourly === undefined) return [];
  const extra = `+$${Math.round((eksExtendedSupportHourly - standardHourly) * hoursPerMonth)}/month`;
  const resource = `Kubernetes ${support.version}`;
  if (support.daysLeft <= 0) {
    return [{ severity: "risk", kind: "eks-extended-support", resource, message: `EKS ${resource} is past standard support (${support.standardEnds}): the control plane bills at $${eksExtendedSupportHourly.toFixed(2)}/h (${extra}) until upgraded` }];
  }
  return [
    {
      severity: "warning",
      kind: "eks-extended-support",
      resource,
      message: `EKS standard support for ${resource} ends ${support.standardEnds} (${support.daysLeft} days after the prices' date): then the control plane bills at $${eksExtendedSupportHourly.toFixed(2)}/h (${extra}) until upgraded`,
    },
  ];
}

/** The report of one synthesized stack: deploy time, monthly cost and risks. */
export function buildReport(stack: string, resources: readonly SynthResource[]): StackReport {
  const deploy = deployTime(resources);
  const cost = estimateCost(resources);
  const risks: Risk[] = [];
  for (const release of deploy.releases) {
    risks.push(...limitRisk("release-timeout", release.name, "install", release.seconds, release.timeoutSeconds, "Helm timeout"));
    if (release.weightsSeconds !== undefined && release.startupBudgetSeconds !== undefined) {
      risks.push(...limitRisk("startup-probe", release.name, "weights download and load", release.weightsSeconds, release.startupBudgetSeconds, "startup probe budget"));
    }
  }
  risks.push(...gpuIdleRisks(resources, cost));
  risks.push(...eksSupportRisks(resources, cost));
  for (const item of cost.unpriced) risks.push({ severity: "warning", kind: "unpriced", resource: item, message: `no price for ${item}: counted as $0` });
  return { schemaVersion: reportSchemaVersion, stack, platform: cost.platform, resourceCount: resources.length, deployTime: deploy, cost, coldStarts: coldStarts(resources), risks };
}
