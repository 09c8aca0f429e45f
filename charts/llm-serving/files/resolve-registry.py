# model-resolver: turns a model registry reference (models:/<name>/<version> or models:/<name>@<alias>)
# into the bucket prefix model-loader copies, by asking MLflow's REST API when the pod starts.
# Standard library only: it runs in the engine's own image, which the node pulls anyway.
import json, os, re, sys, time, urllib.error, urllib.parse, urllib.request

uri = os.environ["REGISTRY_URI"]
tracking = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
bucket = os.environ["BUCKET_URL"].rstrip("/")
out = os.environ.get("OUT_DIR", "/tmp")


def fail(message):
    print(f"model-resolver: {uri}: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


match = re.fullmatch(r"models:/([A-Za-z0-9][A-Za-z0-9._-]*)(?:/([1-9][0-9]*)|@([A-Za-z0-9_-]+))", uri)
if not match:
    fail("not models:/<name>/<version> or models:/<name>@<alias>")
name, version, alias = match.groups()


def get(path, **query):
    url = f"{tracking}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query)}"
    # The registry may still be starting (a fresh stack): retry connection failures and 5xx for ~3 minutes.
    for attempt in range(8):
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code < 500:
                fail(f"{path} answered HTTP {error.code}: {error.read().decode(errors='replace')[:300]}")
            problem = f"HTTP {error.code}"
        except OSError as error:
            problem = str(error)
        print(f"model-resolver: {path}: {problem}; retrying", flush=True)
        time.sleep(min(2 ** attempt, 30))
    fail(f"no answer from the registry at {tracking}")


if alias is not None:
    version = get("registered-models/alias", name=name, alias=alias)["model_version"]["version"]
location = get("model-versions/get-download-uri", name=name, version=version)["artifact_uri"]
# Artifacts the server proxies (--serve-artifacts) live under <bucket>/mlflow, its --artifacts-destination.
proxied = re.match(r"mlflow-artifacts:(//[^/]*)?/*(.*)$", location)
if proxied:
    location = f"{bucket}/mlflow/{proxied.group(2)}"
location = location.rstrip("/")
if not location.startswith(bucket + "/"):
    fail(f"version {version} of {name} is at {location}, outside the stack's bucket {bucket}: the serving identity reads only that bucket; copy it there and register that copy")
with open(os.path.join(out, "model-source"), "w") as handle:
    handle.write(location)
with open(os.path.join(out, "model-version"), "w") as handle:
    handle.write(str(version))
print(f"model-resolver: {uri} is version {version} of {name}, at {location}", flush=True)
