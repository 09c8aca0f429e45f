import { z } from "zod";
import { positiveInt } from "./common";

/**
 * The model-lifecycle keys of a served model (models[].registry, .drift, .evaluation) and of the stack
 * (addons.evaluation), kept out of models.ts and addons.ts so that those stay readable. Pure schemas
 * and checks; docs/model-lifecycle.md explains them.
 */

/** A registry reference, parsed: a version number or an alias of a registered model. */
export type RegistryRef = { readonly name: string } & ({ readonly version: string } | { readonly alias: string });

/**
 * `models:/<name>/<version>` or `models:/<name>@<alias>` (MLflow's model URI syntax), parsed, or why
 * not. Names and aliases follow MLflow's own rules (an alias is letters, digits, '_' and '-', neither
 * "latest" nor v<number>); names are kept to characters that need no quoting anywhere they travel.
 * Stages ("Production") and `latest` are refused: stages are deprecated in MLflow, and "latest" moves
 * with every registration, so a pod restart could pick up a version nobody promoted.
 */
export function parseRegistryRef(value: string): RegistryRef | string {
  const uri = /^models:\/([^/@]+)(?:\/([^/@]+)|@([^/@]+))$/.exec(value);
  if (!uri) {
    return "an MLflow model URI: models:/<registered model>/<version> (e.g. models:/qwen-small/3) or models:/<registered model>@<alias> (e.g. models:/qwen-small@champion)";
  }
  const [, name, version, alias] = uri as unknown as [string, string, string | undefined, string | undefined];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    return `registered model name "${name}" must be up to 100 letters, digits, '.', '_' and '-', starting with a letter or digit`;
  }
  if (version !== undefined) {
    if (/^latest$/i.test(version)) return "\"latest\" moves with every registration, so a restarted pod could serve a version nobody promoted: name a version number or an alias (models:/<name>@<alias>)";
    if (!/^[1-9][0-9]{0,8}$/.test(version)) return `"${version}" is not a version number; MLflow stages are deprecated: use an alias instead (models:/${name}@<alias>)`;
    return { name, version };
  }
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(alias!)) return `alias "${alias}" may only contain letters, digits, '_' and '-' (MLflow's rule)`;
  if (/^latest$/i.test(alias!) || /^v\d+$/i.test(alias!)) return `alias "${alias}" is reserved by MLflow ("latest" and v<number> name versions, not aliases)`;
  return { name, alias: alias! };
}

export const modelRegistry = z
  .string()
  .superRefine((value, ctx) => {
    const parsed = parseRegistryRef(value);
    if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed, input: value });
  })
  .optional()
  .describe(
    "vllm only: serve a model registry version instead of `model`, as models:/<name>/<version> or models:/<name>@<alias> (e.g. @serving, the alias the pipeline's deploy moves). Needs addons.mlflow. Resolved when a pod starts, not offline: its init step asks the registry for the version's files, which must be in the stack's bucket, and copies them (docs/model-lifecycle.md).",
  );

/** A drift factor: 1 is no change at all (it would always fire), and beyond 100x nothing real moves. */
const driftRatio = z.number().max(100).refine((ratio) => ratio > 1, "must be > 1: a ratio of 1 is no change, so every model would alert all the time");

/** The drift thresholds, each optional: the stack-wide ones (addons.monitoring.drift) take the defaults, a model may override any. */
export const driftThresholdFields = {
  promptTokensRatio: driftRatio.describe("Alert when a model's mean prompt length moves by more than this factor (> 1), either way."),
  completionTokensRatio: driftRatio.describe("Alert when a model's mean completion length moves by more than this factor (> 1), either way."),
  errorRateIncrease: z
    .number()
    .gt(0)
    .refine((increase) => increase < 1, "must be < 1: an error ratio rises by at most 1, so the alert could never fire")
    .describe("Alert when a model's error ratio rises by more than this (< 1; 0.05: five more failed requests in a hundred)."),
  ttftRatio: driftRatio.describe("Alert when a model's p90 time to first token is more than this factor (> 1) slower."),
  minRequests: positiveInt.describe("Requests a model needs in each window before it is compared."),
};

export const modelDrift = z
  .strictObject(driftThresholdFields)
  .partial()
  .optional()
  .describe("This model's own drift thresholds, over addons.monitoring.drift (any of its keys but the windows).");

/** The score a model must hold in the scheduled evaluation: a fraction of the prompt set answered right. */
const evalScore = z
  .number()
  .refine((score) => score > 0, "must be > 0: a score is never below 0, so the alert could never fire")
  .refine((score) => score <= 1, "must be <= 1: the score is the fraction of prompts answered right, at most 1");

export const modelEvaluation = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Evaluate this model on schedule (addons.evaluation)."),
    minScore: evalScore.optional().describe("This model's own minimum score, over addons.evaluation.minScore."),
  })
  .optional()
  .describe("The scheduled evaluation of this model.");

/** A Prometheus duration in whole minutes, hours or days. */
const window = z.string().regex(/^[1-9][0-9]{0,3}[mhd]$/, "a duration such as 30m, 1h or 1d");
export const windowMinutes = (duration: string): number => Number(duration.slice(0, -1)) * { m: 1, h: 60, d: 1440 }[duration.slice(-1) as "m" | "h" | "d"];

export const driftWindowFields = {
  shortWindow: window.default("1h").describe("The recent window compared with the baseline."),
  baselineWindow: window.default("1d").describe("The baseline: this long, ending where the short window starts. Must be longer than shortWindow, and both within Prometheus's retention."),
};

/** Each cron field's allowed values: the controller refuses others only once the CronWorkflow is applied, and then never runs it. */
const cronFields = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

/** Why a five-field cron schedule names a value outside its field's range, or undefined. */
export function cronRangeProblem(schedule: string): string | undefined {
  const fields = schedule.trim().split(/\s+/);
  for (const [index, field] of fields.entries()) {
    const { name, min, max } = cronFields[index] ?? cronFields[0];
    for (const part of field.split(",")) {
      // The values of a range ("1-5") or a start ("5/15"); a step after "/" is a count, not a value.
      const values = part.split("/")[0]!.split("-").filter((v) => /^\d+$/.test(v)).map(Number);
      const outside = values.find((v) => v < min || v > max);
      if (outside !== undefined) return `${outside} is not a ${name} (${min} to ${max}) in "${field}"`;
    }
  }
  return undefined;
}

/** The stack's scheduled evaluation (an Argo CronWorkflow) and its alerts. */
export const evaluation = z
  .strictObject({
    enabled: z
      .boolean()
      .optional()
      .describe("Send a fixed prompt set to every served model on schedule, record the score in MLflow and alert when it drops. Unset: on where Argo Workflows, the model registry and monitoring all are."),
    schedule: z
      .string()
      .regex(/^([0-9*,/?-]+\s+){4}[0-9*,/?-]+$/, "a five-field cron schedule of digits and * , / - such as \"0 * * * *\" (minute hour day month weekday), as Argo Workflows accepts it")
      .superRefine((value, ctx) => {
        const problem = cronRangeProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
      })
      .default("17 * * * *")
      .describe("Cron schedule of the CronWorkflow. Default: hourly, at minute 17."),
    timezone: z
      .string()
      .regex(/^(UTC|[A-Z][A-Za-z_]+(\/[A-Za-z0-9_+-]+){1,2})$/, "an IANA time zone such as UTC or Europe/Berlin")
      .default("UTC")
      .describe("IANA time zone the schedule is read in."),
    concurrencyPolicy: z
      .enum(["Forbid", "Replace", "Allow"])
      .default("Forbid")
      .describe("What a run due while the last one still runs does: \"Forbid\" skips it (default), \"Replace\" stops the old one, \"Allow\" runs both."),
    minScore: evalScore.default(0.8).describe("Alert when a model's score is below this (0 to 1]."),
    maxDropFromBaseline: z
      .number()
      .gt(0)
      .refine((drop) => drop < 1, "must be < 1: a score drops by at most 1 (from 1 to 0), so the alert could never fire")
      .default(0.2)
      .describe("Alert when a model version's score is this much (a fraction of the prompt set) below its own mean over the day before the last hour."),
  })
  .prefault({})
  .describe("Scheduled evaluation of the served models (docs/model-lifecycle.md).");

export type EvaluationConfig = z.infer<typeof evaluation>;
