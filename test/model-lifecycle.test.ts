import { CronWorkflow } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/CronWorkflow";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultEvalPrompts, evaluationPodLabels, evaluationScript } from "../components/gitops/evaluation";
import { evaluationMetrics } from "../components/monitoring/metric-names";
import { mlflowTrackingUri } from "../components/gitops/mlflow";
import { evaluationRuleGroups } from "../components/monitoring/evaluation-rules";
import { images } from "../components/versions";
import type { SynthResult } from "../scripts/lib/synthesize";
import { parsePromql } from "./support/promql";
import { PromtoolBatch, promtool } from "./support/promtool";
import { objectsOf, ofType, repoRoot, servingObjects, synthStack } from "./support/synth";
import { runWithStub } from "./support/python-stub";
import { synthVariant } from "./support/variant";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const named = (result: SynthResult, type: string, name: string): Values | undefined => objectsOf(result, type).find((o) => o.metadata?.name === name);
const releaseValues = (result: SynthResult, name: string): Values =>
  ofType(result, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === name)!.inputs.values as Values;

let dev: SynthResult;
let local: SynthResult;
/** dev with a registry reference, its own drift and evaluation thresholds, and a changed evaluation schedule. */
let lifecycle: SynthResult;
beforeAll(async () => {
  dev = await synthStack("dev");
  local = await synthStack("local");
  lifecycle = await synthVariant("dev", (config) => {
    const [model] = config.models as Values[];
    Object.assign(model!, {
      registry: "models:/qwen-small@champion",
      weightsFrom: "bucket",
      drift: { promptTokensRatio: 3 },
      evaluation: { minScore: 0.9 },
    });
    (config.addons as Values).evaluation = { schedule: "*/30 * * * *", timezone: "Europe/Berlin", concurrencyPolicy: "Replace" };
  });
});

describe("a model served from the registry (models[].registry)", () => {
  it("resolves its reference when a pod starts, in an init step before the copy, and downloads nothing from the Hub", () => {
    const loader = releaseValues(lifecycle, "qwen-small").modelLoader;
    expect(loader.registry).toEqual({ uri: "models:/qwen-small@champion", trackingUri: mlflowTrackingUri(), bucketUrl: expect.stringMatching(/^s3:\/\/[a-z0-9.-]+$/) });
    expect(loader).not.toHaveProperty("source");
    expect(objectsOf(lifecycle, "batch/v1:Job").map((job) => job.metadata.name)).not.toContain("qwen-small-weights-sync");
    const deployment = servingObjects(lifecycle).find((o) => o.kind === "Deployment") as Values;
    const [resolver, copier] = deployment.spec.template.spec.initContainers as Values[];
    expect([resolver!.name, copier!.name]).toEqual(["model-resolver", "model-loader"]);
    expect(resolver!.image).toBe(images.vllm);
    expect(copier!.env).toContainEqual({ name: "SOURCE_FILE", value: "/tmp/model-source" });
    expect(deployment.spec.template.spec.containers[0].args[0]).toBe("/models/preloaded/registry");
  });

  it("may reach the registry from the serving namespace, and is never patched by the pipeline's deploy", () => {
    const policy = named(lifecycle, "networking.k8s.io/v1:NetworkPolicy", "mlflow")!;
    expect(policy.spec.ingress[0].from).toContainEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llm-serving" } } });
    expect(named(dev, "networking.k8s.io/v1:NetworkPolicy", "mlflow")!.spec.ingress[0].from).not.toContainEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "llm-serving" } } });
    const pipeline = named(lifecycle, "argoproj.io/v1alpha1:WorkflowTemplate", "llm-pipeline")!;
    const validate = (pipeline.spec.templates as Values[]).find((t) => t.name === "validate-parameters")!;
    const env = Object.fromEntries((validate.container.env as Values[]).map((e) => [e.name, e.value]));
    expect([env.REGISTRY_MODELS, env.BUCKET_MODELS]).toEqual(["qwen-small", ""]);
    expect(objectsOf(lifecycle, "rbac.authorization.k8s.io/v1:Role").map((role) => role.metadata.name)).not.toContain("model-deployer");
  });
});


describe("the registry resolver (charts/llm-serving/files/resolve-registry.py) against a tracking server", () => {
  const resolver = readFileSync(join(repoRoot, "charts", "llm-serving", "files", "resolve-registry.py"), "utf8");

  it("follows an alias to its version and maps a proxied artifact location into the stack's bucket", async () => {
    const { code, calls, dir } = await runWithStub(resolver, { REGISTRY_URI: "models:/qwen-small@champion", MLFLOW_TRACKING_URI: "STUB", BUCKET_URL: "s3://llm-dev-models", OUT_DIR: "OUTDIR" }, (path) =>
      path.startsWith("/api/2.0/mlflow/registered-models/alias?")
        ? [200, { model_version: { name: "qwen-small", version: "7", source: "s3://llm-dev-models/models/qwen-small/v7" } }]
        : [200, { artifact_uri: "mlflow-artifacts:/3/abc/artifacts/model" }],
    );
    expect(code).toBe(0);
    expect(calls.map((c) => c.path)).toEqual([
      "/api/2.0/mlflow/registered-models/alias?name=qwen-small&alias=champion",
      "/api/2.0/mlflow/model-versions/get-download-uri?name=qwen-small&version=7",
    ]);
    expect(readFileSync(join(dir, "model-source"), "utf8")).toBe("s3://llm-dev-models/mlflow/3/abc/artifacts/model");
    expect(readFileSync(join(dir, "model-version"), "utf8")).toBe("7");
  });

  it("refuses a version whose files are outside the stack's bucket, which the pod's identity cannot read", async () => {
    const { code, dir } = await runWithStub(resolver, { REGISTRY_URI: "models:/qwen-small/2", MLFLOW_TRACKING_URI: "STUB", BUCKET_URL: "s3://llm-dev-models", OUT_DIR: "OUTDIR" }, () => [
      200,
      { artifact_uri: "s3://someone-elses-bucket/qwen" },
    ]);
    expect(code).not.toBe(0);
    expect(existsSync(join(dir, "model-source"))).toBe(false);
  });
});

describe("drift thresholds of one model (models[].drift)", () => {
  it("give that model alert rules of its own with its thresholds, and leave it out of the stack-wide rules", () => {
    const rule = named(lifecycle, "monitoring.coreos.com/v1:PrometheusRule", "llm-serving-drift")!;
    const prompt = (rule.spec.groups[1].rules as Values[]).filter((r) => r.alert === "LlmPromptLengthDrift");
    expect(prompt.map((r) => r.labels.model_name)).toEqual([undefined, "qwen-small"]);
    expect(prompt[0].expr).toContain('{model_name!~"qwen-small"}');
    expect(prompt[1].expr).toContain('{model_name="qwen-small"} > 3 or');
  });
});

const cronOf = (result: SynthResult) => named(result, "argoproj.io/v1alpha1:CronWorkflow", "model-evaluation");

describe("the scheduled evaluation", () => {
  it("is a CronWorkflow that validates against the Argo Workflows schema, hourly by default, never two runs at once", () => {
    const cron = cronOf(dev)!;
    expect(() => (new CronWorkflow(cron as never) as unknown as { validate(): void }).validate()).not.toThrow();
    expect(cron.metadata.namespace).toBe("ml-pipelines");
    expect(cron.spec).toMatchObject({ schedules: ["17 * * * *"], timezone: "UTC", concurrencyPolicy: "Forbid" });
    // What Pod Security "restricted" asks, although ml-pipelines does not enforce it.
    expect(cron.spec.workflowSpec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect((cron.spec.workflowSpec.templates as Values[])[1]!.script.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const changed = cronOf(lifecycle)!;
    expect(changed.spec).toMatchObject({ schedules: ["*/30 * * * *"], timezone: "Europe/Berlin", concurrencyPolicy: "Replace" });
    expect(() => (new CronWorkflow(changed as never) as unknown as { validate(): void }).validate()).not.toThrow();
  });

  it("scores each model version in the pinned MLflow image and exports llm_platform_eval_score{model, version}, the stable release as \"stable\"", () => {
    const spec = cronOf(dev)!.spec.workflowSpec;
    const [dag, step] = spec.templates as Values[];
    expect(dag.dag.tasks.map((t: Values) => Object.fromEntries(t.arguments.parameters.map((p: Values) => [p.name, p.value])))).toEqual([
      { model: "qwen-small", version: "stable", "base-url": "http://qwen-small.llm-serving.svc.cluster.local:8000", registry: "" },
    ]);
    expect(step.script.image).toBe(images.mlflow);
    expect(step.script.env).toContainEqual({ name: "MLFLOW_TRACKING_URI", value: mlflowTrackingUri() });
    const [gauge] = step.metrics.prometheus as Values[];
    expect(gauge).toMatchObject({ name: evaluationMetrics.score, labels: [{ key: "model", value: "{{inputs.parameters.model}}" }, { key: "version", value: "{{inputs.parameters.version}}" }] });
    expect(gauge.gauge).toEqual({ value: "{{outputs.parameters.score}}", realtime: false });
    expect(spec.podMetadata.labels).toEqual(evaluationPodLabels);
    expect(JSON.parse(named(dev, "core/v1:ConfigMap", "model-evaluation-prompts")!.data["prompts.json"])).toEqual(defaultEvalPrompts);
    expect(named(dev, "core/v1:Secret", "model-evaluation-api-key")!.stringData).toBe("[secret]");
  });

  it("reaches the models through their NetworkPolicy, and the controller's metrics are scraped under the platform's metric name", () => {
    const peers = releaseValues(dev, "qwen-small").networkPolicy.additionalPeers as Values[];
    expect(peers).toEqual([{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-pipelines" } }, podSelector: { matchLabels: evaluationPodLabels } }]);
    const controller = (ofType(dev, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === "argo-workflows")!.inputs.values as Values).controller;
    expect(controller.serviceMonitor).toEqual({ enabled: true });
    expect(controller.metricsConfig.enabled).toBe(true);
    // A removed version's last score, or a broken evaluation's, must not stand for ever.
    expect(controller.metricsConfig.metricsTTL).toBe("25h");
    const [relabel] = controller.metricsConfig.metricRelabelings as Values[];
    expect(`argo_workflows_${evaluationMetrics.score}`.replace(new RegExp(`^${relabel.regex}$`), relabel.replacement)).toBe(evaluationMetrics.score);
  });

  it("does not exist on a stack without Argo Workflows and the registry (local)", () => {
    expect(cronOf(local)).toBeUndefined();
    expect(named(local, "monitoring.coreos.com/v1:PrometheusRule", "llm-serving-evaluation")).toBeUndefined();
  });

  it("scores the answers, logs a run tagged with model and version to MLflow, and skips a model that does not answer", async () => {
    const prompts = join(mkdtempSync(join(tmpdir(), "prompts-")), "prompts.json");
    writeFileSync(prompts, JSON.stringify(defaultEvalPrompts));
    const env = { MODEL: "qwen-small", VERSION: "stable", BASE_URL: "STUB", API_KEY: "k", PROMPTS_FILE: prompts, EXPERIMENT: "llm-evaluation", WORKFLOW_NAME: "model-evaluation-1", MLFLOW_TRACKING_URI: "STUB" };
    // Right on every prompt but the gold one.
    const answers: Record<string, string> = { capital: "Paris.", times: "56", planet: "Mars", gold: "Ag", exactly: "OK", week: "7 days" };
    const { code, calls, dir } = await runWithStub(evaluationScript, env, (path, body) => {
      if (path === "/v1/chat/completions") {
        const prompt = String(body.messages[0].content);
        const key = Object.keys(answers).find((word) => prompt.includes(word))!;
        return [200, { choices: [{ message: { content: answers[key] } }] }];
      }
      if (path.includes("experiments/get-by-name")) return [200, { experiment: { experiment_id: "5" } }];
      if (path.includes("runs/create")) return [200, { run: { info: { run_id: "r1" } } }];
      return [200, {}];
    });
    expect(code).toBe(0);
    expect(readFileSync(join(dir, "score"), "utf8")).toBe("0.8333");
    expect(readFileSync(join(dir, "evaluated"), "utf8")).toBe("true");
    expect(calls.filter((c) => c.path === "/v1/chat/completions").map((c) => c.body.temperature)).toEqual(defaultEvalPrompts.map(() => 0));
    const run = calls.find((c) => c.path.endsWith("runs/create"))!.body;
    expect(run.experiment_id).toBe("5");
    expect(run.tags).toEqual(expect.arrayContaining([{ key: "model", value: "qwen-small" }, { key: "version", value: "stable" }]));
    expect(calls.find((c) => c.path.endsWith("runs/log-batch"))!.body.metrics).toContainEqual(expect.objectContaining({ key: "score", value: 5 / 6 }));

    const down = await runWithStub(evaluationScript, { ...env, BASE_URL: "http://127.0.0.1:9" }, () => [200, {}]);
    expect(down.code).toBe(0);
    expect(readFileSync(join(down.dir, "evaluated"), "utf8")).toBe("false");
    expect(down.calls).toEqual([]);

    // Scaled to zero (503): skipped. A refused key (401) is a broken evaluation: the step fails, no score.
    const asleep = await runWithStub(evaluationScript, env, () => [503, { error: "no healthy upstream" }]);
    expect([asleep.code, readFileSync(join(asleep.dir, "evaluated"), "utf8")]).toEqual([0, "false"]);
    const refused = await runWithStub(evaluationScript, env, () => [401, { error: "invalid api key" }]);
    expect(refused.code).not.toBe(0);
    expect(readFileSync(join(refused.dir, "evaluated"), "utf8")).toBe("false");
    expect(refused.calls.filter((c) => c.path.includes("mlflow"))).toEqual([]);
  });
});

describe("the evaluation alerts", () => {
  const thresholds = { minScore: 0.8, maxDropFromBaseline: 0.2 };

  it("parse with Prometheus's grammar, and a model with its own minimum score gets a rule of its own (dev variant)", () => {
    for (const rule of evaluationRuleGroups(thresholds, [{ model: "qwen-small", minScore: 0.9 }]).flatMap((g) => g.rules)) {
      expect(parsePromql(rule.expr).errors, rule.expr).toEqual([]);
    }
    const rules = named(lifecycle, "monitoring.coreos.com/v1:PrometheusRule", "llm-serving-evaluation")!.spec.groups[0].rules as Values[];
    expect(rules.filter((r) => r.alert === "LlmEvalScoreLow").map((r) => r.expr)).toEqual([`${evaluationMetrics.score}{model!~"qwen-small"} < 0.8`, `${evaluationMetrics.score}{model="qwen-small"} < 0.9`]);
  });

  /**
   * One promtool run, several scenarios: a day and a half of scores every 5 minutes, steady at 1, then
   * the last evaluation (the last hour) at `after`. Expected: which alerts fire for model "m".
   */
  describe.skipIf(!promtool)("in Prometheus's rule engine (promtool)", () => {
    const batch = new PromtoolBatch("evaluation");
    const groups = evaluationRuleGroups(thresholds, [{ model: "strict", minScore: 0.95 }]);
    const steps = (26 * 60) / 5;
    const series = (model: string, before: number, after: number) => ({
      series: `${evaluationMetrics.score}{model="${model}",version="stable"}`,
      values: `${before}x${steps - 12} ${after}x12`,
    });
    const scenario = (model: string, before: number, after: number, firing: string[]) => ({
      interval: "5m",
      input_series: [series(model, before, after)],
      alert_rule_test: ["LlmEvalScoreLow", "LlmEvalScoreDropped"].map((alertname) => ({
        eval_time: `${26 * 60}m`,
        alertname,
        exp_alerts: firing.includes(alertname)
          ? [{ exp_labels: { severity: "warning", category: "evaluation", model, version: "stable" } }]
          : [],
      })),
    });
    const tests = [
      scenario("steady", 1, 1, []),
      // 0.9: above the 0.8 minimum and only 0.1 below the baseline.
      scenario("slight", 1, 0.9, []),
      scenario("broken", 1, 0.5, ["LlmEvalScoreLow", "LlmEvalScoreDropped"]),
      // Always 0.7: low, but no drop from its own baseline.
      scenario("weak", 0.7, 0.7, ["LlmEvalScoreLow"]),
      // 0.9 is below this model's own minimum (0.95).
      scenario("strict", 1, 0.9, ["LlmEvalScoreLow"]),
      // The controller restarted 4 hours ago: the baseline day holds the old pod's series next to the new one's.
      {
        interval: "5m",
        input_series: [
          { series: `${evaluationMetrics.score}{model="restarted",version="stable",pod="controller-a"}`, values: `1x${steps - 48}` },
          { series: `${evaluationMetrics.score}{model="restarted",version="stable",pod="controller-b"}`, values: `_x${steps - 47} 1x35 0.5x12` },
        ],
        alert_rule_test: [
          { eval_time: `${26 * 60}m`, alertname: "LlmEvalScoreDropped", exp_alerts: [{ exp_labels: { severity: "warning", category: "evaluation", model: "restarted", version: "stable" } }] },
          { eval_time: `${26 * 60}m`, alertname: "LlmEvalScoreLow", exp_alerts: [{ exp_labels: { severity: "warning", category: "evaluation", model: "restarted", version: "stable", pod: "controller-b" } }] },
        ],
      },
    ];
    // The rules as deployed pass promtool's checks (the annotations print the score); the scenarios
    // compare the labels.
    const deployed = batch.check({ groups });
    const verdict = batch.add({ groups: groups.map((g) => ({ ...g, rules: g.rules.map((rule) => ({ ...rule, annotations: undefined })) })) }, tests, "5m");
    beforeAll(() => batch.run());

    it("fire on a low score or a drop from the model's own baseline, and stay quiet otherwise", () => {
      deployed();
      expect(verdict()).toMatch(/SUCCESS/);
    });
  });
});
