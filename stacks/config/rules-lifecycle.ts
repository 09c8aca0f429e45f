import { evaluationEnabled, mlflowEnabled } from "./addons";
import { windowMinutes } from "./lifecycle";
import type { Parsed, Path } from "./rules";

/**
 * The model-lifecycle rules: registry references the program can serve, and drift and evaluation
 * thresholds that can fire at all. Each names the key to change.
 */
export function checkLifecycleRules(config: Parsed, fail: (path: Path, message: string) => void): void {
  const { addons } = config;
  config.models.forEach((model, index) => {
    const at = (key: string): Path => ["models", index, key];
    if (model.registry !== undefined) {
      if (model.engine === "llamacpp") {
        fail(at("registry"), "engine \"llamacpp\" serves one GGUF file from `model` and `ggufFile`, and the registry holds the pipeline's safetensors versions, which llama.cpp cannot load; remove registry, or use engine \"vllm\"");
      } else if (model.weightsFrom !== "bucket") {
        fail(at("weightsFrom"), `"${model.weightsFrom}" conflicts with registry ${model.registry}: a registry version is copied from the stack's bucket, never downloaded from the Hub; set weightsFrom: bucket (model then only names the base model, for sizing)`);
      } else if (model.bucketLoad === "stream") {
        fail(at("bucketLoad"), `"stream" reads one bucket path fixed when the release is installed, but registry ${model.registry} is resolved when a pod starts; use "copy"`);
      }
      if (!mlflowEnabled(addons)) {
        fail(at("registry"), `${model.registry} is resolved by the model registry, which this stack does not run: enable addons.mlflow (and the ML pipeline that fills it), or serve a Hub id or bucket path with model`);
      }
    }
    // llama.cpp exports no per-request histograms or error counts: its drift alerts could never fire.
    if (model.drift !== undefined && model.engine === "llamacpp") {
      fail(at("drift"), "engine \"llamacpp\" exports no per-request token histograms or error counts, so its drift alerts could never fire; remove drift");
    } else if (model.drift !== undefined && !(addons.monitoring.enabled && addons.monitoring.drift.enabled)) {
      fail(at("drift"), "set, but the drift alerts are off (addons.monitoring.enabled and addons.monitoring.drift.enabled): these thresholds would never be read; remove drift or enable both");
    }
    if (model.evaluation?.minScore !== undefined && !evaluationEnabled(addons)) {
      fail([...at("evaluation"), "minScore"], "set, but the stack does not evaluate its models (addons.evaluation): the alert would never fire; remove it or enable addons.evaluation");
    }
  });

  const { drift, retentionDays } = addons.monitoring;
  if (addons.monitoring.enabled && drift.enabled) {
    const [short, baseline] = [windowMinutes(drift.shortWindow), windowMinutes(drift.baselineWindow)];
    if (short >= baseline) {
      fail(["addons", "monitoring", "drift", "shortWindow"], `${drift.shortWindow} is not shorter than baselineWindow ${drift.baselineWindow}: a shift would move its own baseline along and never stand out; make it shorter`);
    } else if (short + baseline > retentionDays * 1440) {
      fail(["addons", "monitoring", "drift", "baselineWindow"], `${drift.baselineWindow} ending ${drift.shortWindow} ago reaches past Prometheus's retention (addons.monitoring.retentionDays ${retentionDays}): the baseline would have no samples and the alerts never fire; shorten it or keep samples longer`);
    }
  }
  if (addons.evaluation.enabled === true) {
    const missing = [
      ...(addons.argoWorkflows.enabled ? [] : ["addons.argoWorkflows (runs the CronWorkflow)"]),
      ...(mlflowEnabled(addons) ? [] : ["addons.mlflow (records the scores)"]),
      ...(addons.monitoring.enabled ? [] : ["addons.monitoring (alerts on them)"]),
    ];
    if (missing.length > 0) fail(["addons", "evaluation", "enabled"], `needs ${missing.join(", ")}; enable them or set enabled: false`);
  }
}
