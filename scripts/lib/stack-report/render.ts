import type { StackReport } from "./build";
import { diffSummary, usd, type ReportDiff } from "./diff";

/** m:ss, rounded to the second first (539.6 s is 9:00, not 8:60). */
export const clock = (seconds: number) => {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
};
const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;

/** The human report printed by `npm run report`. */
export function renderText(report: StackReport, diff?: ReportDiff): string {
  const { deployTime: deploy, cost } = report;
  const lines = [`stack ${report.stack} (${report.platform}${cost.region ? `, ${cost.region}` : ""}): ${report.resourceCount} resources`];
  if (diff) lines.push(`change vs base: ${diffSummary(diff, report)}`);
  lines.push(
    "",
    `Deploy time of a fresh pulumi up (modeled): ${minutes(deploy.criticalPathSeconds)} critical path, ` +
      `${minutes(deploy.serialSeconds)} if fully serial, parallelism ${deploy.parallelism.toFixed(1)}`,
    "  start   takes  resource on the critical path",
  );
  for (const step of deploy.chain) {
    lines.push(`  ${clock(step.startSeconds).padStart(5)}  ${clock(step.seconds).padStart(6)}  ${step.name} (${step.type})`);
    lines.push(`                 ${step.source}`);
  }
  if (deploy.untabled.length > 0) lines.push(`  not in the duration table (fallback figures): ${deploy.untabled.join(", ")}`);

  lines.push("", `Monthly cost (USD, on-demand list prices of ${cost.pricesAsOf}, spot at ×${cost.spotFactor}, ${cost.hoursPerMonth} h/month):`);
  if (cost.note) lines.push(`  ${cost.note}`);
  lines.push(
    `  idle ${usd(cost.scenarios.idle.monthlyUsd)}   as configured ${usd(cost.scenarios.configured.monthlyUsd)}   every pool at max ${usd(cost.scenarios.max.monthlyUsd)}`,
  );
  for (const entry of cost.scenarios.idle.lines) {
    lines.push(`  ${usd(entry.monthlyUsd).padStart(8)}  ${entry.item} (${entry.quantity} × $${entry.unitUsd}/${entry.unit})`);
  }
  if (cost.platform !== "k3s") lines.push(`  not modeled: ${cost.notModeled.join("; ")}`);

  if (report.coldStarts.length > 0) lines.push("", "Model cold start (modeled): on a warm node (image cached), and on a GPU node from zero:");
  for (const start of report.coldStarts) {
    lines.push(`  ${start.model}: warm ${clock(start.warmSeconds)}, from zero ${clock(start.fromZeroSeconds)}`);
    for (const phase of start.phases) lines.push(`    ${clock(phase.seconds).padStart(6)}  ${phase.phase}: ${phase.assumption}`);
  }
  lines.push("", report.risks.length === 0 ? "Risks: none found" : "Risks:");
  for (const risk of report.risks) lines.push(`  ${risk.severity === "risk" ? "!" : "~"} ${risk.message}`);
  return lines.join("\n");
}

/** Marks the PR comment so that the workflow edits it in place. */
export const commentMarker = "<!-- llm-platform: cost and deploy-time report -->";

/** One table row per stack for the PR comment, then each stack's risks. */
export function renderMarkdown(entries: readonly { report: StackReport; diff?: ReportDiff | undefined }[]): string {
  const rows = entries.map(({ report, diff }) => {
    const { idle, max } = report.cost.scenarios;
    return `| ${report.stack} | ${usd(idle.monthlyUsd)} | ${usd(max.monthlyUsd)} | ${minutes(report.deployTime.criticalPathSeconds)} | ${diff ? diffSummary(diff, report).replaceAll("|", "\\|") : "(no base)"} |`;
  });
  const risks = entries.flatMap(({ report }) => report.risks.map((risk) => `- ${risk.severity === "risk" ? "⚠️" : "ℹ️"} **${report.stack}**: ${risk.message}`));
  return [
    commentMarker,
    "### Cost and deploy time",
    "",
    "| stack | idle $/month | every pool at max | deploy (critical path) | change vs base |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    ...(risks.length > 0 ? ["**Risks**", "", ...risks, ""] : []),
    "Modeled from the offline synth: on-demand list prices (`scripts/lib/cost/prices.ts`) and typical create durations (`scripts/lib/deploy-time/durations.ts`). " +
      "`npm run report -- --stack <name>` shows the breakdown.",
  ].join("\n");
}
