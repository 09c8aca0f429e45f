import type { GpuScheduling } from "../cluster/types";
import { images } from "../versions";
import { rcloneRemoteFunction } from "../rclone";
import { logMetrics, mlflowRestClient, recordDeployScript, registerModelScript, trainRunStart } from "./mlflow-steps";

/**
 * Pure builders for the ML pipeline's WorkflowTemplates. Nothing here creates a resource, so tests
 * can check the DAG and validate the manifests against the upstream CRD schema directly.
 */

export const pipelineNames = {
  pipeline: "llm-pipeline",
  notify: "pipeline-notify",
  deployer: "model-deployer",
  webhookSecret: "pipeline-notify-webhook",
  webhookKey: "url",
  /** Optional Secret with a Hugging Face token, for gated base models. */
  hfTokenSecret: "pipeline-hf-token",
  hfTokenKey: "token",
} as const;

/** The PriorityClass of pipeline pods: below serving's (100000), and it never preempts. */
export const pipelinePriority = { name: "llm-pipeline", value: 1000 } as const;

/**
 * The DAG: each task and the tasks it waits for. upload-model and model-check run in parallel. With
 * the model registry, the checked upload becomes a registry version before deploy, and deploy's
 * success is recorded there (pipelineTasksFor).
 */
export const pipelineTasks = [
  { name: "validate-parameters", depends: [] },
  { name: "fetch-dataset", depends: ["validate-parameters"] },
  { name: "train", depends: ["fetch-dataset"] },
  { name: "evaluate", depends: ["train"] },
  { name: "upload-model", depends: ["evaluate"] },
  { name: "model-check", depends: ["evaluate"] },
  // Exactly one of the two runs, as validate-parameters decided.
  { name: "deploy", depends: ["upload-model", "model-check", "validate-parameters"], when: "{{tasks.validate-parameters.outputs.parameters.deployable}} == true" },
  { name: "explain-no-deploy", depends: ["upload-model", "model-check", "validate-parameters"], when: "{{tasks.validate-parameters.outputs.parameters.deployable}} == false" },
] as const satisfies readonly PipelineTask[];

interface PipelineTask {
  readonly name: string;
  readonly depends: readonly string[];
  readonly when?: string;
}

/** The tasks with or without the registry; pure. */
export function pipelineTasksFor(registry: boolean): readonly PipelineTask[] {
  if (!registry) return pipelineTasks;
  return [
    ...pipelineTasks.flatMap((task): PipelineTask[] => {
      // deploy waits for the registry version it will record; register-model runs only on a checked upload.
      if (task.name === "deploy") return [{ name: "register-model", depends: ["upload-model", "model-check"] }, { ...task, depends: ["register-model", "validate-parameters"] }];
      return [task];
    }),
    // "deploy.Succeeded": a bare "deploy" would also run when deploy is skipped.
    { name: "record-deploy", depends: ["deploy.Succeeded", "register-model"] },
  ];
}

export interface PipelineTemplateArgs {
  readonly namespace: string;
  /** Runs every step except deploy: bucket read/write through the cluster identity, nothing in Kubernetes. */
  readonly runnerServiceAccount: string;
  /** Runs deploy: may patch Deployments in the serving namespace, and nothing else. */
  readonly deployerServiceAccount: string;
  /** The GPU pool train and evaluate run on. */
  readonly gpu: GpuScheduling;
  /** `s3://bucket` or `gs://bucket`: models land under `<url>/models/<name>/<version>`. */
  readonly bucketUrl: string;
  /** rclone backend options for `s3://` URIs, e.g. `provider=AWS,env_auth=true`. */
  readonly s3RemoteOptions: string;
  /** Where the serving Deployments live; absent when the stack serves no models (the pipeline then stops saying so). */
  readonly servingNamespace?: string;
  /** The stack's models[]: only bucket-loaded ones without a registry reference can be deployed; each is a Deployment of that name. */
  readonly servedModels: readonly { readonly name: string; readonly weightsFrom: "hub" | "bucket"; readonly registry?: string }[];
  /** Adds the exit handler that reports failures (needs the webhook Secret). */
  readonly notifyOnFailure: boolean;
  /** The model registry's in-cluster tracking URI: train and evaluate log to it, and the pipeline registers and records versions. */
  readonly trackingUri?: string;
}

const param = (name: string) => `{{workflow.parameters.${name}}}`;
const work = { name: "work", mountPath: "/work" };
/**
 * CPU and memory of train and evaluate: they fit one single-GPU L4 node (g6.xlarge: 4 vCPU and
 * 16 GiB; g2-standard-8 on GKE) after the kubelet and DaemonSets, so the autoscaler can add one.
 */
export const gpuStepResources = { requests: { cpu: "3", memory: "12Gi" }, limits: { cpu: "8", memory: "24Gi" } } as const;
const smallStep = { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "2", memory: "2Gi" } };
const envOf = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));

function rcloneStep(name: string, script: string, env: Record<string, string>, s3RemoteOptions: string) {
  return {
    name,
    container: {
      name: "main",
      image: images.rclone,
      command: ["/bin/sh", "-c"],
      args: [`set -eu\n${rcloneRemoteFunction}\n${script}`],
      env: envOf({ ...env, S3_REMOTE_OPTIONS: s3RemoteOptions, RCLONE_CONFIG: "/tmp/rclone.conf", HOME: "/tmp" }),
      resources: smallStep,
      volumeMounts: [work],
    },
  };
}

// Spreads the model over the pod's GPUs when accelerate is installed; otherwise one GPU.
const loadModel = (path: string) => `placement = {"device_map": "auto"} if importlib.util.find_spec("accelerate") else {}
model = AutoModelForCausalLM.from_pretrained(${path}, torch_dtype=torch.bfloat16, **placement)
if not placement:
    model.to("cuda")
`;

// A wiring reference, not a real fine-tune: AdamW at 1e-5 on bf16 weights loses most updates to
// rounding (bf16 keeps 8 mantissa bits). It exercises the DAG; a real trainer replaces it (docs/gitops-and-pipeline.md).
const trainScript = `${mlflowRestClient}${logMetrics}import importlib.util, json, os, pathlib, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
base = os.environ["BASE_MODEL"]
texts = [json.loads(line)["text"] for line in pathlib.Path("/work/dataset/train.jsonl").read_text().splitlines() if line.strip()]
${trainRunStart}tokenizer = AutoTokenizer.from_pretrained(base)
${loadModel("base")}optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
model.train()
losses = []
for step, text in enumerate(texts):
    batch = tokenizer(text, return_tensors="pt", truncation=True, max_length=2048).to(model.device)
    loss = model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    losses.append(("train_loss", step, loss.item()))
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}", flush=True)
model.save_pretrained("/work/model", safe_serialization=True)
tokenizer.save_pretrained("/work/model")
log_metrics(run_id, losses, {"train_examples": len(texts)})
`;

const evaluateScript = `${mlflowRestClient}${logMetrics}import importlib.util, json, math, pathlib, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
texts = [json.loads(line)["text"] for line in pathlib.Path("/work/dataset/eval.jsonl").read_text().splitlines() if line.strip()]
tokenizer = AutoTokenizer.from_pretrained("/work/model")
${loadModel('"/work/model"')}model.eval()
losses = []
with torch.no_grad():
    for text in texts:
        batch = tokenizer(text, return_tensors="pt", truncation=True, max_length=2048).to(model.device)
        losses.append(model(**batch, labels=batch["input_ids"]).loss.item())
perplexity = math.exp(sum(losses) / len(losses))
print(f"perplexity {perplexity:.3f} on {len(texts)} examples")
pathlib.Path("/work/perplexity").write_text(f"{perplexity:.6f}")
run_id = os.environ.get("RUN_ID", "")
if run_id:
    log_metrics(run_id, [], {"perplexity": perplexity, "eval_loss": sum(losses) / len(losses), "eval_examples": len(texts)})
    tracking("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now_ms()})
`;

const modelCheckScript = `import os, pathlib, sys
from transformers import AutoConfig
model = pathlib.Path("/work/model")
AutoConfig.from_pretrained(model)
problems = []
if not list(model.glob("*.safetensors")):
    problems.append("no *.safetensors weights")
if not (model / "tokenizer_config.json").exists():
    problems.append("no tokenizer")
perplexity, limit = float(os.environ["PERPLEXITY"]), float(os.environ["MAX_PERPLEXITY"])
if perplexity > limit:
    problems.append(f"perplexity {perplexity:.3f} above {limit}")
if problems:
    sys.exit("model check failed: " + "; ".join(problems))
print(f"model check passed (perplexity {perplexity:.3f} <= {limit})")
`;

/**
 * Checks every workflow parameter before anything runs, and computes what deploy writes. Values
 * reach it as environment variables (Argo escapes them there), and each must match a strict pattern,
 * so no later step or patch can be steered by a quote, a newline or a path in a parameter. Prints
 * the checked model URI and the chart's preloaded directory for it as output parameters.
 * A model served from the Hub has no loader to point anywhere (vLLM runs offline only with one), so
 * the pipeline stops here, before training, rather than after.
 */
export const validateParametersScript = `set -eu
fail() { echo "validate-parameters: $*" >&2; exit 1; }
# matches NAME VALUE ERE: the whole value, on one line, matches the extended regular expression.
matches() {
  [ "$(printf '%s' "$2" | wc -l)" -eq 0 ] && printf '%s' "$2" | grep -Eqx "$3" ||
    fail "parameter $1 is not $4: got '$(printf '%s' "$2" | head -c 200 | tr -c '[:print:]' '?')'"
}
matches dataset-uri "$DATASET_URI" '(s3|gs)://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._=-]+)*/?' "an s3:// or gs:// URI of letters, digits and ._=-/"
matches base-model "$BASE_MODEL" '[A-Za-z0-9][A-Za-z0-9._-]{0,95}(/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?' "a Hugging Face model id such as Qwen/Qwen2.5-1.5B-Instruct"
matches model-name "$MODEL_NAME" '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?' "a models[].name (a DNS label)"
matches model-version "$MODEL_VERSION" '[A-Za-z0-9][A-Za-z0-9._-]{0,62}' "a version label of up to 63 letters, digits and ._-"
matches gpu-count "$GPU_COUNT" '[1-9][0-9]?' "a GPU count from 1 to 99"
matches max-perplexity "$MAX_PERPLEXITY" '[0-9]{1,6}(\\.[0-9]{1,6})?' "a positive number such as 20 or 12.5"
# Whether deploy can run is decided now, but reported after training: the model is still worth
# having in the bucket (switch the models[] entry to weightsFrom: bucket, then deploy a version).
blocker=""
if [ -z "$SERVING_NAMESPACE" ]; then
  blocker="this stack serves no models (models: []), so there is no Deployment to update; add the model to models[] with weightsFrom: bucket"
else
  case " $HUB_MODELS " in *" $MODEL_NAME "*)
    blocker="models[] entry $MODEL_NAME loads its weights from the Hugging Face Hub (weightsFrom: hub), so it has no model loader to point at the bucket; set weightsFrom: bucket for it and run pulumi up first" ;;
  esac
  case " $REGISTRY_MODELS " in *" $MODEL_NAME "*)
    blocker="models[] entry $MODEL_NAME serves a registry reference (models[].registry), which the pipeline does not patch: once this run's model is a registry version (register-model), point the reference's alias at it (or name the version in models[].registry) and restart the Deployment (docs/model-lifecycle.md)" ;;
  esac
  case " $BUCKET_MODELS $HUB_MODELS $REGISTRY_MODELS " in *" $MODEL_NAME "*) ;; *)
    blocker="model-name $MODEL_NAME is not a models[].name of this stack (\${BUCKET_MODELS:-none} loaded from the bucket)" ;;
  esac
fi
printf '%s' "$blocker" > /tmp/deploy-blocker
if [ -n "$blocker" ]; then printf false; else printf true; fi > /tmp/deployable
source="$MODEL_ROOT/$MODEL_NAME/$MODEL_VERSION"
printf '%s' "$source" > /tmp/model-source
printf '/models/preloaded/%s' "$(printf '%s' "$source" | sha256sum | cut -c1-16)" > /tmp/preloaded-dir
echo "parameters valid; deploy will point $MODEL_NAME at $source"
`;

/**
 * The JSON patch deploy sends, with Argo placeholders for the checked source and directory. It relies
 * on the llm-serving chart's layout: the model-loader init container with SOURCE then TARGET, TARGET
 * being /models/preloaded/<sha256(source)[:16]> (the chart's llm-serving.preloadedDir), and the vllm
 * container loading that directory as its first argument. "test" ops make the API server refuse the
 * whole patch, changing nothing, if the layout differs.
 */
export function deployPatch(source: string, dir: string): Record<string, string>[] {
  const init = "/spec/template/spec/initContainers/0";
  return [
    { op: "test", path: `${init}/name`, value: "model-loader" },
    { op: "test", path: `${init}/env/0/name`, value: "SOURCE" },
    { op: "test", path: `${init}/env/1/name`, value: "TARGET" },
    { op: "test", path: "/spec/template/spec/containers/0/name", value: "vllm" },
    { op: "replace", path: `${init}/env/0/value`, value: source },
    { op: "replace", path: `${init}/env/1/value`, value: dir },
    { op: "replace", path: "/spec/template/spec/containers/0/args/0", value: dir },
  ];
}

function pythonStep(
  name: string,
  source: string,
  env: Record<string, string>,
  resources: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    script: {
      name: "main",
      image: images.trainer,
      command: ["python3"],
      source,
      // The image runs as root by default; here it runs as the pod's non-root user with a writable home.
      env: [
        ...envOf({ ...env, HOME: "/tmp", HF_HOME: "/tmp/hf" }),
        // Only set when the stack has the hfToken secret; public base models need none.
        { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: pipelineNames.hfTokenSecret, key: pipelineNames.hfTokenKey, optional: true } } },
      ],
      resources,
      volumeMounts: [work, { name: "dshm", mountPath: "/dev/shm" }],
    },
    ...extra,
  };
}

/** The main pipeline template. */
export function llmPipelineTemplate(args: PipelineTemplateArgs): Record<string, unknown> {
  const runtimeClass = args.gpu.runtimeClassName ? { runtimeClassName: args.gpu.runtimeClassName } : {};
  const onGpuPool = (podSpecPatch: Record<string, unknown>) => ({
    nodeSelector: args.gpu.nodeSelector,
    tolerations: args.gpu.tolerations,
    ...(Object.keys(podSpecPatch).length > 0 ? { podSpecPatch: JSON.stringify(podSpecPatch) } : {}),
  });
  const gpuResources = (gpus?: string) => ({
    requests: { ...gpuStepResources.requests },
    limits: { ...gpuStepResources.limits, ...(gpus ? { "nvidia.com/gpu": gpus } : {}) },
  });
  // Container resources are typed quantities, so a parameter can only set the GPU count through the
  // pod spec patch (Argo's documented way), applied to the script container, "main".
  const trainGpus = {
    ...runtimeClass,
    containers: [{ name: "main", resources: { limits: { "nvidia.com/gpu": "{{inputs.parameters.gpu-count}}" } } }],
  };
  const modelUri = `${args.bucketUrl}/models/${param("model-name")}/${param("model-version")}`;
  const modelsLoadedFrom = (from: "hub" | "bucket" | "registry") =>
    args.servedModels.filter((m) => (from === "registry" ? m.registry !== undefined : m.registry === undefined && m.weightsFrom === from)).map((m) => m.name).join(" ");
  const artifact = (name: string, path: string) => ({ name, path, archive: { none: {} } });
  const registry = args.trackingUri !== undefined;
  // What every step that talks to the registry gets; validate-parameters has checked each value.
  const tracked = {
    ...(args.trackingUri ? { MLFLOW_TRACKING_URI: args.trackingUri } : {}),
    MODEL_NAME: param("model-name"),
    MODEL_VERSION: param("model-version"),
    WORKFLOW_NAME: "{{workflow.name}}",
  };
  const fromTask = (task: string, name: string) => ({ name, from: `{{tasks.${task}.outputs.artifacts.${name}}}` });
  const templates = [
    {
      name: "pipeline",
      dag: {
        tasks: pipelineTasksFor(registry).map((task) => ({
          name: task.name,
          template: task.name,
          ...(task.depends.length > 0 ? { depends: task.depends.join(" && ") } : {}),
          ...("when" in task ? { when: task.when } : {}),
          ...taskArguments(task.name, fromTask),
        })),
      },
    },
    {
      ...rcloneStep("fetch-dataset", `rclone copy "$(remote "$DATASET_URI")" /work/dataset`, { DATASET_URI: param("dataset-uri") }, args.s3RemoteOptions),
      outputs: { artifacts: [artifact("dataset", "/work/dataset")] },
    },
    pythonStep("train", trainScript, { ...tracked, BASE_MODEL: param("base-model"), DATASET_URI: param("dataset-uri"), GPU_COUNT: "{{inputs.parameters.gpu-count}}" }, gpuResources(), {
      inputs: { parameters: [{ name: "gpu-count" }], artifacts: [artifact("dataset", "/work/dataset")] },
      // The MLflow run's id (empty without the registry), for evaluate and register-model.
      outputs: { parameters: [{ name: "run-id", valueFrom: { path: "/tmp/mlflow-run-id" } }], artifacts: [artifact("model", "/work/model")] },
      ...onGpuPool(trainGpus),
    }),
    pythonStep("evaluate", evaluateScript, { ...tracked, RUN_ID: "{{inputs.parameters.run-id}}" }, gpuResources("1"), {
      inputs: { parameters: [{ name: "run-id" }], artifacts: [artifact("dataset", "/work/dataset"), artifact("model", "/work/model")] },
      outputs: { parameters: [{ name: "perplexity", valueFrom: { path: "/work/perplexity" } }] },
      ...onGpuPool(runtimeClass),
    }),
    {
      ...rcloneStep(
        "upload-model",
        `rclone copy /work/model "$(remote "$TARGET")"`,
        { TARGET: modelUri },
        args.s3RemoteOptions,
      ),
      inputs: { artifacts: [artifact("model", "/work/model")] },
    },
    pythonStep("model-check", modelCheckScript, {
      PERPLEXITY: "{{inputs.parameters.perplexity}}",
      MAX_PERPLEXITY: param("max-perplexity"),
    }, { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "8Gi" } }, {
      inputs: { parameters: [{ name: "perplexity" }], artifacts: [artifact("model", "/work/model")] },
      // No GPU, but on the GPU pool: its nodes already hold the ~10 GB trainer image from train and
      // evaluate, where a system node would pull it just to read a few files.
      nodeSelector: args.gpu.nodeSelector,
      tolerations: args.gpu.tolerations,
    }),
    {
      name: "validate-parameters",
      container: {
        name: "main",
        image: images.curl,
        command: ["/bin/sh", "-c"],
        args: [validateParametersScript],
        env: envOf({
          DATASET_URI: param("dataset-uri"),
          BASE_MODEL: param("base-model"),
          MODEL_NAME: param("model-name"),
          MODEL_VERSION: param("model-version"),
          GPU_COUNT: param("gpu-count"),
          MAX_PERPLEXITY: param("max-perplexity"),
          MODEL_ROOT: `${args.bucketUrl}/models`,
          SERVING_NAMESPACE: args.servingNamespace ?? "",
          BUCKET_MODELS: modelsLoadedFrom("bucket"),
          HUB_MODELS: modelsLoadedFrom("hub"),
          REGISTRY_MODELS: modelsLoadedFrom("registry"),
        }),
        resources: smallStep,
      },
      outputs: {
        parameters: [
          { name: "model-source", valueFrom: { path: "/tmp/model-source" } },
          { name: "preloaded-dir", valueFrom: { path: "/tmp/preloaded-dir" } },
          { name: "deployable", valueFrom: { path: "/tmp/deployable" } },
          { name: "deploy-blocker", valueFrom: { path: "/tmp/deploy-blocker" } },
        ],
      },
    },
    {
      name: "explain-no-deploy",
      container: {
        name: "main",
        image: images.curl,
        command: ["/bin/sh", "-c"],
        args: ['echo "deploy: $BLOCKER" >&2; exit 1'],
        env: envOf({ BLOCKER: "{{inputs.parameters.deploy-blocker}}" }),
        resources: smallStep,
      },
      inputs: { parameters: [{ name: "deploy-blocker" }] },
    },
    {
      name: "deploy",
      serviceAccountName: args.deployerServiceAccount,
      // The deployer has no bucket identity: archiving its logs would fail the step after the patch.
      archiveLocation: { archiveLogs: false },
      inputs: { parameters: [{ name: "model-source" }, { name: "preloaded-dir" }] },
      // Argo's resource template: the executor runs kubectl patch --type json on the one Deployment,
      // with values validate-parameters checked; no shell, no hand-made JSON.
      resource: {
        action: "patch",
        mergeStrategy: "json",
        flags: ["deployment", param("model-name"), ...(args.servingNamespace ? ["--namespace", args.servingNamespace] : [])],
        manifest: JSON.stringify(deployPatch("{{inputs.parameters.model-source}}", "{{inputs.parameters.preloaded-dir}}")),
      },
    },
    ...(registry ? registryTemplates(tracked, args.servingNamespace ?? "") : []),
  ];
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "WorkflowTemplate",
    metadata: { name: pipelineNames.pipeline, namespace: args.namespace },
    spec: {
      entrypoint: "pipeline",
      serviceAccountName: args.runnerServiceAccount,
      // Step logs go to the bucket (the UI shows them after pod GC) as the runner, which may write there.
      archiveLogs: true,
      podPriorityClassName: pipelinePriority.name,
      arguments: {
        parameters: [
          { name: "dataset-uri", description: "s3:// or gs:// prefix holding train.jsonl and eval.jsonl" },
          { name: "base-model", description: "Hugging Face id of the model to fine-tune" },
          { name: "model-name", description: "Name of the served model (models[].name); also the serving Deployment" },
          { name: "model-version", description: "Version label; the model lands under models/<name>/<version>" },
          { name: "gpu-count", value: "1", description: "GPUs for the train step" },
          { name: "max-perplexity", value: "20", description: "model-check fails above this evaluation perplexity" },
        ],
      },
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
      volumes: [
        { name: "work", emptyDir: {} },
        // PyTorch and NCCL share tensors through /dev/shm; the container default is 64 MiB.
        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "8Gi" } },
      ],
      // Keep finished runs a week for inspection, then let the controller delete them.
      ttlStrategy: { secondsAfterCompletion: 7 * 24 * 3600 },
      podGC: { strategy: "OnPodSuccess" },
      ...(args.notifyOnFailure ? { onExit: "exit-handler" } : {}),
      templates: [
        ...templates,
        ...(args.notifyOnFailure
          ? [
              {
                name: "exit-handler",
                // A one-task DAG rather than steps: same effect, and it validates against the published schema.
                dag: {
                  tasks: [{
                    name: "notify-failure",
                    templateRef: { name: pipelineNames.notify, template: "notify-failure" },
                    when: "{{workflow.status}} != Succeeded",
                  }],
                },
              },
            ]
          : []),
      ],
    },
  };
}

/**
 * register-model and record-deploy: small Python steps in the MLflow image (Python, no GPU, no
 * trainer image to pull), as the runner, which reaches the tracking server in-cluster.
 */
function registryTemplates(tracked: Record<string, string>, servingNamespace: string) {
  const step = (name: string, source: string, env: Record<string, string>, parameters: string[], extra: Record<string, unknown> = {}) => ({
    name,
    inputs: { parameters: parameters.map((parameter) => ({ name: parameter })) },
    script: { name: "main", image: images.mlflow, command: ["python3"], source, env: envOf({ ...tracked, ...env, HOME: "/tmp" }), resources: smallStep },
    ...extra,
  });
  return [
    step("register-model", registerModelScript, {
      MODEL_SOURCE: "{{inputs.parameters.model-source}}",
      RUN_ID: "{{inputs.parameters.run-id}}",
      PERPLEXITY: "{{inputs.parameters.perplexity}}",
      MAX_PERPLEXITY: param("max-perplexity"),
    }, ["model-source", "run-id", "perplexity"], { outputs: { parameters: [{ name: "registry-version", valueFrom: { path: "/tmp/registry-version" } }] } }),
    step("record-deploy", recordDeployScript, { REGISTRY_VERSION: "{{inputs.parameters.registry-version}}", SERVING_NAMESPACE: servingNamespace }, ["registry-version"]),
  ];
}

function taskArguments(task: string, fromTask: (task: string, name: string) => { name: string; from: string }) {
  const output = (from: string, name: string) => `{{tasks.${from}.outputs.parameters.${name}}}`;
  switch (task) {
    case "fetch-dataset":
      return {};
    case "train":
      return {
        arguments: {
          parameters: [{ name: "gpu-count", value: param("gpu-count") }],
          artifacts: [fromTask("fetch-dataset", "dataset")],
        },
      };
    case "evaluate":
      return { arguments: { parameters: [{ name: "run-id", value: output("train", "run-id") }], artifacts: [fromTask("fetch-dataset", "dataset"), fromTask("train", "model")] } };
    case "register-model":
      return {
        arguments: {
          parameters: [
            { name: "model-source", value: output("validate-parameters", "model-source") },
            { name: "run-id", value: output("train", "run-id") },
            { name: "perplexity", value: output("evaluate", "perplexity") },
          ],
        },
      };
    case "record-deploy":
      return { arguments: { parameters: [{ name: "registry-version", value: output("register-model", "registry-version") }] } };
    case "model-check":
      return {
        arguments: {
          parameters: [{ name: "perplexity", value: "{{tasks.evaluate.outputs.parameters.perplexity}}" }],
          artifacts: [fromTask("train", "model")],
        },
      };
    case "upload-model":
      return { arguments: { artifacts: [fromTask("train", "model")] } };
    case "explain-no-deploy":
      return { arguments: { parameters: [{ name: "deploy-blocker", value: "{{tasks.validate-parameters.outputs.parameters.deploy-blocker}}" }] } };
    case "deploy":
      return {
        arguments: {
          parameters: ["model-source", "preloaded-dir"].map((name) => ({ name, value: `{{tasks.validate-parameters.outputs.parameters.${name}}}` })),
        },
      };
    default:
      return {};
  }
}

/**
 * The failure notice's text. Parameters may hold anything (this is also sent when validate-parameters
 * rejects them), so the text reaches the step as an environment variable and is JSON-encoded there.
 */
export const failureNoticeMessage =
  "LLM pipeline {{workflow.name}} in {{workflow.namespace}} ended {{workflow.status}} " +
  "(model {{workflow.parameters.model-name}} version {{workflow.parameters.model-version}})";

/**
 * Posts $MESSAGE to $WEBHOOK_URL as JSON that both Slack (`text`) and Discord (`content`) accept.
 * The encoder escapes backslashes and quotes, turns line breaks and tabs into spaces and drops other
 * control characters, so any message yields one valid JSON string.
 */
export const notifyScript = `set -eu
text=$(printf '%s' "$MESSAGE" | head -c 1000 | tr '\\n\\r\\t' '   ' | tr -d '\\000-\\037' | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g')
body=$(printf '{"text":"%s","content":"%s"}' "$text" "$text")
curl -fsS -X POST -H "Content-Type: application/json" --data "$body" "$WEBHOOK_URL" >/dev/null
`;

/** The reusable exit-handler template: posts the failure notice to the webhook from the Secret. */
export function notifyTemplate(namespace: string): Record<string, unknown> {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "WorkflowTemplate",
    metadata: { name: pipelineNames.notify, namespace },
    spec: {
      templates: [
        {
          name: "notify-failure",
          retryStrategy: { limit: "3" },
          container: {
            name: "main",
            image: images.curl,
            command: ["/bin/sh", "-c"],
            args: [notifyScript],
            env: [
              { name: "MESSAGE", value: failureNoticeMessage },
              { name: "WEBHOOK_URL", valueFrom: { secretKeyRef: { name: pipelineNames.webhookSecret, key: pipelineNames.webhookKey } } },
            ],
            resources: smallStep,
          },
        },
      ],
    },
  };
}
