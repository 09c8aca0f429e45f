import { scenarios, type Scenario } from "../cost/model";
import type { Risk, StackReport } from "./build";

export interface ReportDiff {
  readonly stack: string;
  /** False when the base has no such stack (a stack added by the change). */
  readonly baseExists: boolean;
  readonly monthlyUsdDelta: Readonly<Record<Scenario, number>>;
  readonly criticalPathSecondsDelta: number;
  readonly baseCriticalPathSeconds: number;
  readonly resourceCountDelta: number;
  readonly newRisks: readonly Risk[];
  readonly resolvedRisks: readonly Risk[];
}

const riskKey = (risk: Risk) => `${risk.kind}|${risk.resource}|${risk.severity}`;

/** What a change does to a stack's report: cost per scenario, deploy time, risks gained and lost. */
export function diffReports(base: StackReport | undefined, head: StackReport): ReportDiff {
  const baseRisks = new Set((base?.risks ?? []).map(riskKey));
  const headRisks = new Set(head.risks.map(riskKey));
  return {
    stack: head.stack,
    baseExists: base !== undefined,
    monthlyUsdDelta: Object.fromEntries(
      scenarios.map((scenario) => [scenario, Math.round((head.cost.scenarios[scenario].monthlyUsd - (base?.cost.scenarios[scenario].monthlyUsd ?? 0)) * 100) / 100]),
    ) as Record<Scenario, number>,
    criticalPathSecondsDelta: head.deployTime.criticalPathSeconds - (base?.deployTime.criticalPathSeconds ?? 0),
    baseCriticalPathSeconds: base?.deployTime.criticalPathSeconds ?? 0,
    resourceCountDelta: head.resourceCount - (base?.resourceCount ?? 0),
    newRisks: head.risks.filter((risk) => !baseRisks.has(riskKey(risk))),
    resolvedRisks: (base?.risks ?? []).filter((risk) => !headRisks.has(riskKey(risk))),
  };
}

export const usd = (value: number) => `$${Math.round(Math.abs(value)).toLocaleString("en-US")}`;
export const signedUsd = (value: number) => `${value < 0 ? "-" : "+"}${usd(value)}`;
const signedMinutes = (seconds: number) => `${seconds < 0 ? "-" : "+"}${Math.round(Math.abs(seconds) / 60)} min`;

/** One line: "+$412/month idle (+$412 as configured, +$900 at max), deploy +3 min (36 → 39 min), new risk: ...". */
export function diffSummary(diff: ReportDiff, head: StackReport): string {
  if (!diff.baseExists) return `new stack: ${usd(head.cost.scenarios.idle.monthlyUsd)}/month idle, deploy ${Math.round(head.deployTime.criticalPathSeconds / 60)} min`;
  const parts: string[] = [];
  const { idle, configured, max } = diff.monthlyUsdDelta;
  if ([idle, configured, max].every((delta) => Math.abs(delta) < 0.5)) parts.push("cost unchanged");
  else parts.push(`${signedUsd(idle)}/month idle (${signedUsd(configured)} as configured, ${signedUsd(max)} at max)`);
  const before = Math.round(diff.baseCriticalPathSeconds / 60);
  const after = Math.round(head.deployTime.criticalPathSeconds / 60);
  parts.push(Math.abs(diff.criticalPathSecondsDelta) < 30 ? "deploy time unchanged" : `deploy ${signedMinutes(diff.criticalPathSecondsDelta)} (${before} → ${after} min)`);
  for (const risk of diff.newRisks) parts.push(`new ${risk.severity}: ${risk.message}`);
  for (const risk of diff.resolvedRisks) parts.push(`resolved: ${risk.message}`);
  return parts.join(", ");
}
