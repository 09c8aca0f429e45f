import type { GpuScheduling } from "../cluster/types";
import { images } from "../versions";

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

/** The DAG: each task and the tasks it waits for. upload-model and model-check run in parallel. */
export const pipelineTasks = [
  { name: "fetch-dataset", depends: [] },
  { name: "train", depends: ["fetch-dataset"] },
  { name: "evaluate", depends: ["train"] },
  { name: "upload-model", depends: ["evaluate"] },
  { name: "model-check", depends: ["evaluate"] },
  { name: "deploy", depends: ["upload-model", "model-check"] },
] as const;

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
  /** Where the serving Deployments live; absent when the stack serves no models (deploy then fails saying so). */
  readonly servingNamespace?: string;
  /** Adds the exit handler that reports failures (needs the webhook Secret). */
  readonly notifyOnFailure: boolean;
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

/** Maps s3://, gs:// and https:// URIs to rclone remotes; shared by fetch-dataset and upload-model. */
const rcloneRemoteFunction = `remote() {
  case "$1" in
    s3://*) echo ":s3,$S3_REMOTE_OPTIONS:\${1#s3://}" ;;
    gs://*) echo ":gcs,env_auth=true:\${1#gs://}" ;;
    *) echo "unsupported URI $1 (use s3:// or gs://)" >&2; exit 1 ;;
  esac
}`;

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

const trainScript = `import importlib.util, json, os, pathlib, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
base = os.environ["BASE_MODEL"]
texts = [json.loads(line)["text"] for line in pathlib.Path("/work/dataset/train.jsonl").read_text().splitlines() if line.strip()]
tokenizer = AutoTokenizer.from_pretrained(base)
${loadModel("base")}optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
model.train()
for step, text in enumerate(texts):
    batch = tokenizer(text, return_tensors="pt", truncation=True, max_length=2048).to(model.device)
    loss = model(**batch, labels=batch["input_ids"]).loss
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    if step % 50 == 0:
        print(f"step {step} loss {loss.item():.4f}", flush=True)
model.save_pretrained("/work/model", safe_serialization=True)
tokenizer.save_pretrained("/work/model")
`;

const evaluateScript = `import importlib.util, json, math, pathlib, torch
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
 * Points the serving Deployment at the uploaded model. The JSON patch relies on the llm-serving
 * chart's layout: the model-loader init container with SOURCE then TARGET, TARGET being
 * /models/preloaded/<sha256(source)[:16]> (the chart's llm-serving.preloadedDir), and the vllm
 * container loading that directory as its first argument. "test" ops make the API server refuse
 * the patch, changing nothing, if the layout differs. A model served from the Hub has no loader to
 * point anywhere (and vLLM runs offline only with one), so deploy stops before patching.
 */
export const deployScript = `set -eu
fail() { echo "deploy: $*" >&2; exit 1; }
[ -n "$NAMESPACE" ] || fail "this stack serves no models (models: []), so there is no Deployment to update; add the model to models[] with weightsFrom: bucket"
sa=/var/run/secrets/kubernetes.io/serviceaccount
api="https://kubernetes.default.svc/apis/apps/v1/namespaces/$NAMESPACE/deployments/$DEPLOYMENT"
call() { curl -sS --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" -w '\n%{http_code}' "$@" "$api"; }
status() { printf '%s' "$1" | tail -n 1; }
current=$(call) || fail "cannot reach the Kubernetes API"
[ "$(status "$current")" = 200 ] || fail "cannot read Deployment $NAMESPACE/$DEPLOYMENT (HTTP $(status "$current")); model-name must be a models[].name of this stack"
printf '%s' "$current" | grep -Eq '"name": *"model-loader"' ||
  fail "models[] entry $DEPLOYMENT loads its weights from the Hugging Face Hub (weightsFrom: hub), so it has no model loader to point at $MODEL_SOURCE; set weightsFrom: bucket for it and run pulumi up first"
dir="/models/preloaded/$(printf %s "$MODEL_SOURCE" | sha256sum | cut -c1-16)"
patch=$(cat <<EOF
[{"op":"test","path":"/spec/template/spec/initContainers/0/name","value":"model-loader"},
 {"op":"test","path":"/spec/template/spec/initContainers/0/env/0/name","value":"SOURCE"},
 {"op":"test","path":"/spec/template/spec/initContainers/0/env/1/name","value":"TARGET"},
 {"op":"test","path":"/spec/template/spec/containers/0/name","value":"vllm"},
 {"op":"replace","path":"/spec/template/spec/initContainers/0/env/0/value","value":"$MODEL_SOURCE"},
 {"op":"replace","path":"/spec/template/spec/initContainers/0/env/1/value","value":"$dir"},
 {"op":"replace","path":"/spec/template/spec/containers/0/args/0","value":"$dir"}]
EOF
)
result=$(call -H "Content-Type: application/json-patch+json" -X PATCH --data "$patch") || fail "cannot reach the Kubernetes API"
[ "$(status "$result")" = 200 ] || fail "the API server refused the patch (HTTP $(status "$result")): $(printf '%s' "$result" | sed '$d')"
echo "deployment $NAMESPACE/$DEPLOYMENT now serves $MODEL_SOURCE from $dir"
`;

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
  const artifact = (name: string, path: string) => ({ name, path, archive: { none: {} } });
  const fromTask = (task: string, name: string) => ({ name, from: `{{tasks.${task}.outputs.artifacts.${name}}}` });
  const templates = [
    {
      name: "pipeline",
      dag: {
        tasks: pipelineTasks.map((task) => ({
          name: task.name,
          template: task.name,
          ...(task.depends.length > 0 ? { depends: task.depends.join(" && ") } : {}),
          ...taskArguments(task.name, fromTask),
        })),
      },
    },
    {
      ...rcloneStep("fetch-dataset", `rclone copy "$(remote "$DATASET_URI")" /work/dataset`, { DATASET_URI: param("dataset-uri") }, args.s3RemoteOptions),
      outputs: { artifacts: [artifact("dataset", "/work/dataset")] },
    },
    pythonStep("train", trainScript, { BASE_MODEL: param("base-model") }, gpuResources(), {
      inputs: { parameters: [{ name: "gpu-count" }], artifacts: [artifact("dataset", "/work/dataset")] },
      outputs: { artifacts: [artifact("model", "/work/model")] },
      ...onGpuPool(trainGpus),
    }),
    pythonStep("evaluate", evaluateScript, {}, gpuResources("1"), {
      inputs: { artifacts: [artifact("dataset", "/work/dataset"), artifact("model", "/work/model")] },
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
    }),
    {
      name: "deploy",
      serviceAccountName: args.deployerServiceAccount,
      container: {
        name: "main",
        image: images.curl,
        command: ["/bin/sh", "-c"],
        args: [deployScript],
        env: envOf({
          NAMESPACE: args.servingNamespace ?? "",
          DEPLOYMENT: param("model-name"),
          MODEL_SOURCE: modelUri,
        }),
        resources: smallStep,
      },
    },
  ];
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "WorkflowTemplate",
    metadata: { name: pipelineNames.pipeline, namespace: args.namespace },
    spec: {
      entrypoint: "pipeline",
      serviceAccountName: args.runnerServiceAccount,
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

function taskArguments(task: string, fromTask: (task: string, name: string) => { name: string; from: string }) {
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
      return { arguments: { artifacts: [fromTask("fetch-dataset", "dataset"), fromTask("train", "model")] } };
    case "model-check":
      return {
        arguments: {
          parameters: [{ name: "perplexity", value: "{{tasks.evaluate.outputs.parameters.perplexity}}" }],
          artifacts: [fromTask("train", "model")],
        },
      };
    case "upload-model":
      return { arguments: { artifacts: [fromTask("train", "model")] } };
    default:
      return {};
  }
}

/** The failure notice, as JSON that both Slack (`text`) and Discord (`content`) accept. */
export function failureNoticeBody(): string {
  const message =
    `LLM pipeline {{workflow.name}} in {{workflow.namespace}} ended {{workflow.status}} ` +
    `(model {{workflow.parameters.model-name}} version {{workflow.parameters.model-version}})`;
  return JSON.stringify({ text: message, content: message });
}

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
            args: ['curl -fsS -X POST -H "Content-Type: application/json" --data "$BODY" "$WEBHOOK_URL" >/dev/null'],
            env: [
              { name: "BODY", value: failureNoticeBody() },
              { name: "WEBHOOK_URL", valueFrom: { secretKeyRef: { name: pipelineNames.webhookSecret, key: pipelineNames.webhookKey } } },
            ],
            resources: smallStep,
          },
        },
      ],
    },
  };
}
