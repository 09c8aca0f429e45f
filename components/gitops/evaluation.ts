import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { evaluationMetrics } from "../monitoring/metric-names";
import { images } from "../versions";
import { mlflowRestClient } from "./mlflow-steps";
import { restrictedContainerSecurity } from "../addons/pod-security";

/**
 * The scheduled evaluation: a CronWorkflow sends a small fixed prompt set to every served model
 * inside the cluster, scores the answers (exact or contained match, temperature 0), records each
 * score as an MLflow run and exports it as the Argo custom metric `llm_platform_eval_score{model, version}`,
 * which alert rules (components/monitoring/evaluation-rules.ts) compare with a threshold and a baseline.
 */


/** Labels of the evaluation pods: the serving NetworkPolicy lets exactly these in. */
export const evaluationPodLabels = { "llm-platform.io/role": "model-evaluation" } as const;

export const evaluationNames = {
  cronWorkflow: "model-evaluation",
  prompts: "model-evaluation-prompts",
  apiKeySecret: "model-evaluation-api-key",
  /** The MLflow experiment every evaluation run goes to, tagged with the model and version. */
  experiment: "llm-evaluation",
} as const;

export interface EvalPrompt {
  readonly prompt: string;
  /** What a right answer holds (contains) or is (exact), compared case-insensitively and trimmed. */
  readonly expect: string;
  readonly match: "exact" | "contains";
}

/**
 * Short questions with one right answer that a small instruct model gets right at temperature 0:
 * a drop means the model (or what serves it) changed, not that the questions are hard.
 */
export const defaultEvalPrompts: readonly EvalPrompt[] = [
  { prompt: "What is the capital of France? Answer with one word.", expect: "paris", match: "contains" },
  { prompt: "What is 7 times 8? Answer with the number only.", expect: "56", match: "contains" },
  { prompt: "Which planet is known as the Red Planet? Answer with one word.", expect: "mars", match: "contains" },
  { prompt: "What is the chemical symbol of gold? Answer with the symbol only.", expect: "au", match: "contains" },
  { prompt: "Reply with exactly the word OK and nothing else.", expect: "ok", match: "exact" },
  { prompt: "How many days are in a week? Answer with the number only.", expect: "7", match: "contains" },
];

/** One model version to evaluate: the served name, the version label and its in-cluster base URL. */
export interface EvalTarget {
  readonly model: string;
  /** "stable" for a model's only (or main) release. */
  readonly version: string;
  /** e.g. http://qwen-small.llm-serving.svc.cluster.local:8000 */
  readonly baseUrl: string;
  /** The registry reference it serves, when it serves one (recorded as a tag). */
  readonly registry?: string;
}

/**
 * Scores one model version: each prompt at temperature 0, a point per right answer; score = points /
 * prompts. A model that does not answer at all (no replica, scaled to zero) is skipped, not scored 0:
 * the evaluation measures answers, and availability has its own alerts. Writes /tmp/score and
 * /tmp/evaluated for the metric, and logs the run to MLflow.
 */
export const evaluationScript = `${mlflowRestClient}${"\n"}import pathlib, sys
model, version, base = os.environ["MODEL"], os.environ["VERSION"], os.environ["BASE_URL"].rstrip("/")
prompts = json.loads(pathlib.Path(os.environ["PROMPTS_FILE"]).read_text())
def ask(prompt):
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "temperature": 0, "max_tokens": 32}
    request = urllib.request.Request(base + "/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["API_KEY"]})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)["choices"][0]["message"]["content"] or ""
def right(answer, item):
    said, wanted = answer.strip().strip(".").lower(), item["expect"].strip().lower()
    return said == wanted if item["match"] == "exact" else wanted in said
pathlib.Path("/tmp/score").write_text("0")
pathlib.Path("/tmp/evaluated").write_text("false")
try:
    answers = [ask(item["prompt"]) for item in prompts]
except urllib.error.HTTPError as error:
    # 503: no replica yet (scaled to zero). Any other status is a broken evaluation (a rotated key, a
    # wrong model name), which must fail the step rather than leave the last score standing.
    if error.code != 503:
        raise
    print(f"evaluation: {model} ({version}) is not serving at {base} (HTTP 503); skipped, no score recorded", flush=True)
    sys.exit(0)
except OSError as error:
    print(f"evaluation: {model} ({version}) did not answer at {base}: {error}; skipped, no score recorded", flush=True)
    sys.exit(0)
passed = sum(1 for answer, item in zip(answers, prompts) if right(answer, item))
score = passed / len(prompts)
for answer, item in zip(answers, prompts):
    print(f"{'ok  ' if right(answer, item) else 'MISS'} {item['prompt']!r} -> {answer.strip()[:80]!r}", flush=True)
pathlib.Path("/tmp/score").write_text(f"{score:.4f}")
pathlib.Path("/tmp/evaluated").write_text("true")
print(f"evaluation: {model} ({version}) scored {score:.2f} ({passed}/{len(prompts)})", flush=True)
if registry_on:
    experiment = experiment_id(os.environ["EXPERIMENT"])
    tags = {"model": model, "version": version, "registry": os.environ.get("REGISTRY", ""), "argo.workflow": os.environ["WORKFLOW_NAME"]}
    run = tracking("runs/create", {"experiment_id": experiment, "run_name": f"{model}-{version}", "start_time": now_ms(),
        "tags": [{"key": k, "value": v} for k, v in tags.items() if v]})["run"]["info"]["run_id"]
    stamp = now_ms()
    metrics = {"score": score, "passed": passed, "prompts": len(prompts)}
    tracking("runs/log-batch", {"run_id": run, "metrics": [{"key": k, "value": v, "timestamp": stamp, "step": 0} for k, v in metrics.items()]})
    tracking("runs/update", {"run_id": run, "status": "FINISHED", "end_time": now_ms()})
`;

export interface EvaluationSchedule {
  /** Five-field cron schedule. */
  readonly schedule: string;
  /** IANA time zone. */
  readonly timezone: string;
  readonly concurrencyPolicy: "Allow" | "Forbid" | "Replace";
}

export interface EvaluationManifestArgs extends EvaluationSchedule {
  readonly namespace: string;
  /** Runs the steps; it only reports step results (the pipeline's runner). */
  readonly serviceAccount: string;
  readonly targets: readonly EvalTarget[];
  /** The registry's in-cluster tracking URI; without it the scores go to Prometheus only. */
  readonly trackingUri?: string;
}

const small = { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "512Mi" } };

/** The CronWorkflow; pure, so tests validate it against the Argo Workflows schema. */
export function evaluationCronWorkflow(args: EvaluationManifestArgs): Record<string, unknown> {
  const input = (name: string) => `{{inputs.parameters.${name}}}`;
  const parameters = ["model", "version", "base-url", "registry"];
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "CronWorkflow",
    metadata: { name: evaluationNames.cronWorkflow, namespace: args.namespace },
    spec: {
      schedules: [args.schedule],
      timezone: args.timezone,
      concurrencyPolicy: args.concurrencyPolicy,
      // A run missed by more than 10 minutes (controller down) is dropped, not run late in a burst.
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      workflowSpec: {
        entrypoint: "evaluate",
        serviceAccountName: args.serviceAccount,
        podMetadata: { labels: { ...evaluationPodLabels } },
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        // Well inside an hourly schedule: a model that hangs does not hold the next run back.
        activeDeadlineSeconds: 1800,
        ttlStrategy: { secondsAfterCompletion: 24 * 3600 },
        podGC: { strategy: "OnPodSuccess" },
        volumes: [{ name: "prompts", configMap: { name: evaluationNames.prompts } }],
        templates: [
          {
            name: "evaluate",
            dag: {
              tasks: args.targets.map((target) => ({
                name: `${target.model}-${target.version}`,
                template: "evaluate-model",
                arguments: {
                  parameters: [
                    { name: "model", value: target.model },
                    { name: "version", value: target.version },
                    { name: "base-url", value: target.baseUrl },
                    { name: "registry", value: target.registry ?? "" },
                  ],
                },
              })),
            },
          },
          {
            name: "evaluate-model",
            inputs: { parameters: parameters.map((name) => ({ name })) },
            script: {
              name: "main",
              image: images.mlflow,
              command: ["python3"],
              source: evaluationScript,
              env: [
                { name: "MODEL", value: input("model") },
                { name: "VERSION", value: input("version") },
                { name: "BASE_URL", value: input("base-url") },
                { name: "REGISTRY", value: input("registry") },
                { name: "PROMPTS_FILE", value: "/prompts/prompts.json" },
                { name: "EXPERIMENT", value: evaluationNames.experiment },
                { name: "WORKFLOW_NAME", value: "{{workflow.name}}" },
                { name: "HOME", value: "/tmp" },
                ...(args.trackingUri ? [{ name: "MLFLOW_TRACKING_URI", value: args.trackingUri }] : []),
                { name: "API_KEY", valueFrom: { secretKeyRef: { name: evaluationNames.apiKeySecret, key: "api-key" } } },
              ],
              resources: small,
              securityContext: restrictedContainerSecurity(),
              volumeMounts: [{ name: "prompts", mountPath: "/prompts", readOnly: true }],
            },
            outputs: {
              parameters: [
                { name: "score", valueFrom: { path: "/tmp/score" } },
                { name: "evaluated", valueFrom: { path: "/tmp/evaluated" } },
              ],
            },
            // Emitted when the step ends; a skipped model (no answer) keeps its last score rather than 0.
            metrics: {
              prometheus: [
                {
                  name: evaluationMetrics.score,
                  help: "Fraction of the fixed evaluation prompts a model version answered right (0 to 1).",
                  labels: [
                    { key: "model", value: input("model") },
                    { key: "version", value: input("version") },
                  ],
                  when: "{{outputs.parameters.evaluated}} == true",
                  gauge: { value: "{{outputs.parameters.score}}", realtime: false },
                },
              ],
            },
          },
        ],
      },
    },
  };
}

export interface ModelEvaluationArgs extends EvaluationManifestArgs {
  readonly provider: k8s.Provider;
  /** The models' API key (secret), copied into the evaluation's namespace. */
  readonly apiKey: pulumi.Input<string>;
  /** @default defaultEvalPrompts */
  readonly prompts?: readonly EvalPrompt[];
  /** The Argo Workflows release, which installs the CronWorkflow CRD. */
  readonly workflowsRelease: pulumi.Resource;
}

/** The prompt set (ConfigMap), the models' key (Secret) and the CronWorkflow, in the pipeline namespace. */
export class ModelEvaluation extends pulumi.ComponentResource {
  constructor(name: string, args: ModelEvaluationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:gitops:ModelEvaluation", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    new k8s.core.v1.ConfigMap(
      `${name}-prompts`,
      { metadata: { name: evaluationNames.prompts, namespace: args.namespace }, data: { "prompts.json": JSON.stringify(args.prompts ?? defaultEvalPrompts, null, 2) } },
      k8sOpts,
    );
    new k8s.core.v1.Secret(
      `${name}-api-key`,
      { metadata: { name: evaluationNames.apiKeySecret, namespace: args.namespace }, stringData: { "api-key": pulumi.secret(args.apiKey) } },
      k8sOpts,
    );
    const manifest = evaluationCronWorkflow(args);
    new k8s.apiextensions.CustomResource(
      `${name}-cron`,
      { apiVersion: "argoproj.io/v1alpha1", kind: "CronWorkflow", metadata: manifest.metadata as Record<string, unknown>, spec: manifest.spec as Record<string, unknown> },
      { ...k8sOpts, dependsOn: [args.workflowsRelease] },
    );
    this.registerOutputs({});
  }
}
