/**
 * The pipeline's side of the model registry: Python that talks to MLflow's REST API (api/2.0/mlflow)
 * with the standard library only, so it runs in the trainer image, which has no MLflow client, and in
 * the MLflow image alike. Pure strings; pipeline-templates.ts puts them into the steps.
 *
 * Every value reaches the scripts as an environment variable that validate-parameters has checked,
 * never spliced into the source. Without MLFLOW_TRACKING_URI (a stack with the registry off) the
 * train and evaluate steps skip logging; register-model and record-deploy only exist with it.
 */

/** The registered model alias that names the version serving now. */
export const servingAlias = "serving";

/**
 * `tracking(path, body)` POSTs (or GETs, without a body) to the tracking server and returns the JSON
 * answer. Retries connection failures and 5xx for about a minute, since a step should survive a
 * restart of the server; a 4xx is a bug or a conflict and raises at once with MLflow's error code.
 */
export const mlflowRestClient = `import json, os, time, urllib.error, urllib.request
class MlflowError(Exception):
    def __init__(self, path, status, body):
        super().__init__(f"MLflow {path}: HTTP {status} {body[:500]}")
        try:
            self.code = json.loads(body).get("error_code", "")
        except ValueError:
            self.code = ""
def tracking(path, body=None):
    url = os.environ["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/2.0/mlflow/" + path
    data = None if body is None else json.dumps(body).encode()
    for attempt in range(6):
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500:
                raise MlflowError(path, error.code, error.read().decode(errors="replace"))
            problem = f"HTTP {error.code}"
        except OSError as error:
            problem = str(error)
        print(f"MLflow {path}: {problem}; retrying", flush=True)
        time.sleep(2 ** attempt)
    raise RuntimeError(f"MLflow {path}: no answer from {url}")
def now_ms():
    return int(time.time() * 1000)
def experiment_id(name):
    try:
        return tracking("experiments/get-by-name?experiment_name=" + name)["experiment"]["experiment_id"]
    except MlflowError as error:
        if error.code != "RESOURCE_DOES_NOT_EXIST":
            raise
    try:
        return tracking("experiments/create", {"name": name})["experiment_id"]
    except MlflowError as error:
        # Another step of the same run (a canary's evaluation, say) created it first.
        if error.code != "RESOURCE_ALREADY_EXISTS":
            raise
        return tracking("experiments/get-by-name?experiment_name=" + name)["experiment"]["experiment_id"]
registry_on = bool(os.environ.get("MLFLOW_TRACKING_URI"))
`;

/**
 * Train's first lines: one MLflow run per pipeline run, in the experiment named after the model, with
 * the run's parameters; its id goes to the next steps as an output parameter.
 */
export const trainRunStart = `run_id = ""
if registry_on:
    name = os.environ["MODEL_NAME"]
    experiment = experiment_id(name)
    tags = [{"key": "mlflow.runName", "value": os.environ["MODEL_VERSION"]}, {"key": "argo.workflow", "value": os.environ["WORKFLOW_NAME"]}]
    run_id = tracking("runs/create", {"experiment_id": experiment, "run_name": os.environ["MODEL_VERSION"], "start_time": now_ms(), "tags": tags})["run"]["info"]["run_id"]
    params = {"base_model": os.environ["BASE_MODEL"], "dataset_uri": os.environ["DATASET_URI"], "gpu_count": os.environ["GPU_COUNT"], "learning_rate": "1e-5"}
    tracking("runs/log-batch", {"run_id": run_id, "params": [{"key": k, "value": v} for k, v in params.items()]})
    print(f"MLflow run {run_id} in experiment {name}", flush=True)
pathlib.Path("/tmp/mlflow-run-id").write_text(run_id)
`;

/** Logs a list of (step, loss) pairs and named values as metrics of the run; MLflow takes 1000 per batch. */
export const logMetrics = `def log_metrics(run_id, series, values):
    if not registry_on:
        return
    stamp = now_ms()
    metrics = [{"key": key, "value": value, "timestamp": stamp, "step": step} for key, step, value in series]
    metrics += [{"key": key, "value": value, "timestamp": stamp, "step": 0} for key, value in values.items()]
    for start in range(0, len(metrics), 1000):
        tracking("runs/log-batch", {"run_id": run_id, "metrics": metrics[start:start + 1000]})
`;

/**
 * register-model: the uploaded model becomes a new version of the registered model named after it,
 * pointing at its bucket URI, linked to the run, with the evaluation result as tags. Writes the
 * registry's version number for deploy to record.
 */
export const registerModelScript = `${mlflowRestClient}${"\n"}import pathlib
name, source, run_id = os.environ["MODEL_NAME"], os.environ["MODEL_SOURCE"], os.environ["RUN_ID"]
try:
    tracking("registered-models/create", {"name": name, "description": "Trained and evaluated by the LLM pipeline."})
except MlflowError as error:
    if error.code != "RESOURCE_ALREADY_EXISTS":
        raise
tags = {"model_version": os.environ["MODEL_VERSION"], "perplexity": os.environ["PERPLEXITY"], "max_perplexity": os.environ["MAX_PERPLEXITY"], "model_check": "passed", "argo.workflow": os.environ["WORKFLOW_NAME"]}
body = {"name": name, "source": source, "tags": [{"key": k, "value": v} for k, v in tags.items()], "description": f"{source}, perplexity {os.environ['PERPLEXITY']}"}
if run_id:
    body["run_id"] = run_id
version = tracking("model-versions/create", body)["model_version"]["version"]
pathlib.Path("/tmp/registry-version").write_text(str(version))
print(f"registered {name} version {version} from {source}")
`;

/**
 * record-deploy: after deploy patched the serving Deployment, the alias `serving` moves to this
 * version, and the version carries where and when it went live.
 */
export const recordDeployScript = `${mlflowRestClient}${"\n"}name, version = os.environ["MODEL_NAME"], os.environ["REGISTRY_VERSION"]
tracking("registered-models/alias", {"name": name, "alias": "${servingAlias}", "version": version})
where = os.environ["SERVING_NAMESPACE"] + "/deployment/" + name
stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
for key, value in {"serving.deployment": where, "serving.since": stamp, "serving.workflow": os.environ["WORKFLOW_NAME"]}.items():
    tracking("model-versions/set-tag", {"name": name, "version": version, "key": key, "value": value})
print(f"{name} version {version} is serving in {where} (alias ${servingAlias})")
`;
