import { WorkflowTemplate } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { htpasswdLine, mlflowConventions, mlflowTrackingUri } from "../components/gitops/mlflow";
import { recordDeployScript, registerModelScript, servingAlias } from "../components/gitops/mlflow-steps";
import { pipelineTasks } from "../components/gitops/pipeline-templates";
import { images } from "../components/versions";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { errorsOf, secretsFor, validateStack } from "./support/config";
import { validateManifest } from "./support/kube-models";
import { objectsOf, ofType, synthStack } from "./support/synth";
import { runWithStub } from "./support/python-stub";
import { synthVariant } from "./support/variant";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const inNamespace = (result: SynthResult, namespace: string): SynthResource[] =>
  result.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs.metadata as Values | undefined)?.namespace === namespace);
const named = (result: SynthResult, type: string, name: string): Values => {
  const found = objectsOf(result, type).find((o) => o.metadata?.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
};
const container = (workload: Values): Values => workload.spec.template.spec.containers[0];

let dev: SynthResult;
let gke: SynthResult;
let nginx: SynthResult;
beforeAll(async () => {
  dev = await synthStack("dev");
  gke = await synthStack("gke-dev");
  nginx = await synthVariant("dev", (config) => {
    (config.addons as Record<string, Record<string, unknown>>).ingress!.implementation = "ingress-nginx";
  });
});

describe("the model registry in dev", () => {
  it("runs the pinned official MLflow image (the -full variant, with the PostgreSQL driver and the S3 and GCS clients)", () => {
    const server = named(dev, "apps/v1:Deployment", "mlflow");
    expect(server.metadata.namespace).toBe("mlflow");
    expect(container(server).image).toBe(images.mlflow);
    expect(images.mlflow).toMatch(/^ghcr\.io\/mlflow\/mlflow:v\d+\.\d+\.\d+-full$/);
  });

  it("keeps runs in its PostgreSQL, read from a Secret, and artifacts under <bucket>/mlflow, served by the server", () => {
    const server = container(named(dev, "apps/v1:Deployment", "mlflow"));
    const args = server.args as string[];
    expect(args[args.indexOf("--artifacts-destination") + 1]).toMatch(/^s3:\/\/.+\/mlflow$/);
    expect(args).toContain("--serve-artifacts");
    // The URI holds the password: never on the command line, only from the Secret.
    expect(args).not.toContain("--backend-store-uri");
    expect(server.env).toContainEqual({ name: "MLFLOW_BACKEND_STORE_URI", valueFrom: { secretKeyRef: { name: "mlflow-backend-store", key: "uri" } } });
    expect(named(dev, "core/v1:Secret", "mlflow-backend-store").stringData).toBe("[secret]");
    const gkeArgs = container(named(gke, "apps/v1:Deployment", "mlflow")).args as string[];
    expect(gkeArgs[gkeArgs.indexOf("--artifacts-destination") + 1]).toMatch(/^gs:\/\/.+\/mlflow$/);
  });

  it("reaches the bucket through the cluster's workload identity, never static keys: IRSA on EKS, Workload Identity on GKE", () => {
    const account = named(dev, "core/v1:ServiceAccount", "mlflow");
    expect(Object.keys(account.metadata.annotations)).toEqual(["eks.amazonaws.com/role-arn"]);
    expect(ofType(dev, "aws:iam/role:Role").some((r) => r.name.includes("-mlflow-identity"))).toBe(true);
    expect(Object.keys(named(gke, "core/v1:ServiceAccount", "mlflow").metadata.annotations)).toEqual(["iam.gke.io/gcp-service-account"]);
    const env = container(named(dev, "apps/v1:Deployment", "mlflow")).env as Values[];
    expect(env.map((e) => e.name)).not.toContain("AWS_ACCESS_KEY_ID");
    expect(named(dev, "apps/v1:Deployment", "mlflow").spec.template.spec.serviceAccountName).toBe("mlflow");
  });

  it("answers the Host names it is reached by (MLflow 3.5+ refuses others), its probes included", () => {
    const server = container(named(dev, "apps/v1:Deployment", "mlflow"));
    const args = server.args as string[];
    const allowed = (args[args.indexOf("--allowed-hosts") + 1] as string).split(",");
    expect(allowed).toContain("mlflow.dev.llm.example.com");
    expect(allowed).toContain(new URL(mlflowTrackingUri()).host);
    expect(server.readinessProbe.httpGet.httpHeaders).toEqual([{ name: "Host", value: "mlflow.mlflow.svc.cluster.local" }]);
    expect(allowed).toContain("mlflow.mlflow.svc.cluster.local");
  });

  it("has its own database: the official postgres image pinned, a volume, and a generated password that is secret end to end", () => {
    const database = named(dev, "apps/v1:StatefulSet", "mlflow-postgres");
    expect(container(database).image).toBe(images.postgres);
    expect(images.postgres).toMatch(/^docker\.io\/library\/postgres:\d+\.\d+$/);
    expect(database.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
    expect(container(database).env).toContainEqual({ name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "mlflow-postgres", key: "password" } } });
    expect(named(dev, "core/v1:Secret", "mlflow-postgres").stringData).toBe("[secret]");
    const generator = ofType(dev, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith("-mlflow-db-password"))!;
    expect(generator).toBeDefined();
    // Under synth the generated password is `mock-password-<name>` (scripts/lib/mocks.ts): it shows nowhere.
    const synthText = JSON.stringify([dev.resources, dev.outputs]);
    expect(synthText).not.toContain(`mock-password-${generator.name}`);
    expect(synthText).not.toMatch(/postgresql:\/\/mlflow:/);
  });

  it("is served at https://mlflow.<domain> behind basic auth at the Gateway, with the password a secret output", () => {
    const route = objectsOf(dev, "gateway.networking.k8s.io/v1:HTTPRoute").find((r) => r.spec.hostnames.includes("mlflow.dev.llm.example.com"))!;
    expect(route.metadata.namespace).toBe("mlflow");
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: "mlflow", port: 5000 }]);
    const policy = objectsOf(dev, "gateway.envoyproxy.io/v1alpha1:SecurityPolicy").find((p) => p.spec.basicAuth)!;
    expect(policy.metadata.namespace).toBe("mlflow");
    expect(policy.spec.targetRefs).toEqual([{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: route.metadata.name }]);
    expect(policy.spec.basicAuth).toEqual({ users: { name: mlflowConventions.authSecret } });
    expect(named(dev, "core/v1:Secret", mlflowConventions.authSecret).stringData).toBe("[secret]");
    // The Gateway has a listener (and certificate) for the host.
    const listeners = objectsOf(dev, "gateway.networking.k8s.io/v1:Gateway")[0]!.spec.listeners as Values[];
    expect(listeners.some((l) => l.hostname === "mlflow.dev.llm.example.com")).toBe(true);
    expect(dev.outputs.mlflowUrl).toBe("https://mlflow.dev.llm.example.com");
    expect(dev.outputs.mlflowPassword).toBe("[secret]");
  });

  it("is behind ingress-nginx's basic auth on that front door, with the same htpasswd Secret", () => {
    const ingress = named(nginx, "networking.k8s.io/v1:Ingress", "mlflow");
    expect(ingress.metadata.annotations).toMatchObject({
      "nginx.ingress.kubernetes.io/auth-type": "basic",
      "nginx.ingress.kubernetes.io/auth-secret": mlflowConventions.authSecret,
    });
    expect(ingress.spec.rules[0].host).toBe("mlflow.dev.llm.example.com");
    expect(objectsOf(nginx, "gateway.networking.k8s.io/v1:HTTPRoute")).toEqual([]);
    validateManifest(ingress);
  });

  it("lets only the pipeline's namespace and the front door's proxies reach the server, and only the server reach its database", () => {
    const server = named(dev, "networking.k8s.io/v1:NetworkPolicy", "mlflow").spec;
    expect(server.podSelector).toEqual({ matchLabels: mlflowConventions.podLabels });
    expect(server.ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml-pipelines" } } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "envoy-gateway-system" } }, podSelector: { matchLabels: expect.any(Object) } },
        ],
        ports: [{ protocol: "TCP", port: 5000 }],
      },
    ]);
    const database = named(dev, "networking.k8s.io/v1:NetworkPolicy", "mlflow-postgres").spec;
    expect(database.ingress).toEqual([{ from: [{ podSelector: { matchLabels: mlflowConventions.podLabels } }], ports: [{ protocol: "TCP", port: 5432 }] }]);
  });

  it("creates only objects that validate against the upstream Kubernetes schemas", () => {
    const objects = inNamespace(dev, "mlflow").filter((r) => !r.type.includes("gateway"));
    expect(objects.map((r) => (r.inputs as Values).kind).sort()).toEqual(
      ["Deployment", "NetworkPolicy", "NetworkPolicy", "Secret", "Secret", "Secret", "Service", "Service", "ServiceAccount", "StatefulSet"],
    );
    // Synth shows a Secret's data as "[secret]"; the schema check looks at the rest of it.
    const unredacted = (inputs: Values) => (inputs.stringData === "[secret]" ? { ...inputs, stringData: {} } : inputs);
    for (const object of objects) expect(() => validateManifest(unredacted(object.inputs)), object.name).not.toThrow();
    const namespace = named(dev, "core/v1:Namespace", "mlflow");
    validateManifest(namespace);
    // The restricted Pod Security level: both pods must keep to it or be refused.
    expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const workload of [named(dev, "apps/v1:Deployment", "mlflow"), named(dev, "apps/v1:StatefulSet", "mlflow-postgres")]) {
      expect(workload.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect(container(workload).securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    }
  });
});

describe("where the registry runs", () => {
  it("follows the pipeline by default: not on the k3s stacks, which have no pipeline", async () => {
    const lab = await synthStack("k3s-lab");
    expect(ofType(lab, "kubernetes:apps/v1:Deployment").map((r) => (r.inputs.metadata as Values).name)).not.toContain("mlflow");
    expect(lab.outputs).not.toHaveProperty("mlflowUrl");
  });

  it("refuses a registry on k3s, naming the key", () => {
    const errors = errorsOf(validateStack("k3s-lab", [{ set: ["addons", "mlflow"], to: { enabled: true } }], secretsFor("k3s-lab")));
    expect(errors).toEqual([expect.stringMatching(/^llm-platform:addons\.mlflow\.enabled: .*needs a cloud cluster \(eks or gke\)/)]);
  });

  it("refuses a database volume out of range, naming the key", () => {
    const errors = errorsOf(validateStack("dev", [{ set: ["addons", "mlflow", "databaseStorageGiB"], to: 0 }], secretsFor("dev")));
    expect(errors).toEqual([expect.stringMatching(/^llm-platform:addons\.mlflow\.databaseStorageGiB: .*>= 1/)]);
  });

  it("writes htpasswd lines in the SHA scheme Envoy Gateway reads", () => {
    // SHA-1 of "password", base64: the example in Apache's htpasswd documentation.
    expect(htpasswdLine("mlflow", "password")).toBe("mlflow:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=");
  });
});

type Template = { name: string; dag?: { tasks: Values[] }; script?: Values; container?: Values; [key: string]: unknown };
const pipelineOf = (result: SynthResult): Values =>
  ofType(result, "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate").find((r) => (r.inputs.metadata as Values).name === "llm-pipeline")!.inputs;
const templatesOf = (result: SynthResult): Template[] => pipelineOf(result).spec.templates as Template[];
const envOf = (template: Template): Record<string, unknown> =>
  Object.fromEntries(((template.script ?? template.container)!.env as Values[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe("the pipeline with the registry (dev)", () => {
  let templates: Template[];
  let dag: Values[];
  beforeAll(() => {
    templates = templatesOf(dev);
    dag = templates.find((t) => t.name === "pipeline")!.dag!.tasks;
  });

  it("registers the checked upload before deploy, and records the deploy once it succeeded", () => {
    const depends = Object.fromEntries(dag.map((task) => [task.name, task.depends ?? ""]));
    expect(depends["register-model"]).toBe("upload-model && model-check");
    expect(depends.deploy).toBe("register-model && validate-parameters");
    expect(depends["record-deploy"]).toBe("deploy.Succeeded && register-model");
    expect(dag.find((task) => task.name === "record-deploy")!.arguments.parameters).toEqual([
      { name: "registry-version", value: "{{tasks.register-model.outputs.parameters.registry-version}}" },
    ]);
    for (const task of dag) expect(templates.map((t) => t.name)).toContain(task.name);
    expect(() => (new WorkflowTemplate(pipelineOf(dev) as never) as unknown as { validate(): void }).validate()).not.toThrow();
  });

  it("gives train and evaluate the in-cluster tracking URI; train opens the run and hands its id to evaluate and register-model", () => {
    for (const name of ["train", "evaluate", "register-model", "record-deploy"]) {
      expect(envOf(templates.find((t) => t.name === name)!).MLFLOW_TRACKING_URI, name).toBe(mlflowTrackingUri());
    }
    const train = templates.find((t) => t.name === "train")!;
    expect(train.script!.source).toContain('tracking("runs/create"');
    expect(train.script!.source).toContain('tracking("runs/log-batch"');
    expect((train.outputs as Values).parameters).toEqual([{ name: "run-id", valueFrom: { path: "/tmp/mlflow-run-id" } }]);
    const evaluate = templates.find((t) => t.name === "evaluate")!;
    expect(envOf(evaluate).RUN_ID).toBe("{{inputs.parameters.run-id}}");
    expect(evaluate.script!.source).toContain('"perplexity": perplexity');
    expect(dag.find((task) => task.name === "evaluate")!.arguments.parameters).toEqual([{ name: "run-id", value: "{{tasks.train.outputs.parameters.run-id}}" }]);
  });

  it("registers the bucket URI that validate-parameters checked, with the evaluation result, in the MLflow image", () => {
    const register = templates.find((t) => t.name === "register-model")!;
    expect(register.script!.image).toBe(images.mlflow);
    expect(dag.find((task) => task.name === "register-model")!.arguments.parameters).toEqual([
      { name: "model-source", value: "{{tasks.validate-parameters.outputs.parameters.model-source}}" },
      { name: "run-id", value: "{{tasks.train.outputs.parameters.run-id}}" },
      { name: "perplexity", value: "{{tasks.evaluate.outputs.parameters.perplexity}}" },
    ]);
    expect(envOf(templates.find((t) => t.name === "record-deploy")!).SERVING_NAMESPACE).toBe("llm-serving");
  });

  it("has Python steps that parse (the trainer image runs them only on a GPU node, so a syntax error would cost a node)", () => {
    const sources = Object.fromEntries(templates.filter((t) => t.script?.command?.[0] === "python3").map((t) => [t.name, t.script!.source as string]));
    expect(Object.keys(sources).length).toBeGreaterThan(0);
    // One interpreter for all of them: starting python3 takes most of a second here.
    const checker = "import ast, json, sys\nfor name, source in json.load(sys.stdin).items():\n    try:\n        ast.parse(source)\n    except SyntaxError as error:\n        print(f'{name}: {error}')";
    const parse = spawnSync("python3", ["-c", checker], { input: JSON.stringify(sources), encoding: "utf8" });
    expect(parse.stderr).toBe("");
    expect(parse.stdout).toBe("");
    expect(parse.status).toBe(0);
  });

  it("logs and registers nothing where the registry is off: no tracking URI and the plain DAG", async () => {
    const off = await synthVariant("dev", (config) => {
      (config.addons as Record<string, unknown>).mlflow = { enabled: false };
    });
    const offTemplates = templatesOf(off);
    expect(offTemplates.find((t) => t.name === "pipeline")!.dag!.tasks.map((task) => task.name)).toEqual(pipelineTasks.map((task) => task.name));
    expect(envOf(offTemplates.find((t) => t.name === "train")!)).not.toHaveProperty("MLFLOW_TRACKING_URI");
    expect(ofType(off, "kubernetes:apps/v1:Deployment").map((r) => (r.inputs.metadata as Values).name)).not.toContain("mlflow");
    expect(off.outputs).not.toHaveProperty("mlflowUrl");
  });
});

/** Runs a registry script with python3 against a stub tracking server; returns the calls it made (paths under /api/2.0/mlflow/). */
async function runAgainstStub(source: string, env: Record<string, string>, answers: Record<string, [number, unknown]>) {
  const prefix = "/api/2.0/mlflow/";
  const run = await runWithStub(source, { MLFLOW_TRACKING_URI: "STUB", ...env }, (path) => answers[path.replace(prefix, "")] ?? [200, {}]);
  return { ...run, calls: run.calls.map((call) => ({ ...call, path: call.path.replace(prefix, "") })) };
}

describe("the registry steps against a tracking server", () => {
  const common = { MODEL_NAME: "qwen-small", MODEL_VERSION: "v2", WORKFLOW_NAME: "llm-pipeline-abc12" };

  it("register-model: a new version of an existing registered model, pointing at the bucket, with the evaluation as tags", async () => {
    const { code, calls, dir } = await runAgainstStub(
      registerModelScript,
      { ...common, MODEL_SOURCE: "s3://bucket/models/qwen-small/v2", RUN_ID: "run123", PERPLEXITY: "9.5", MAX_PERPLEXITY: "20" },
      {
        "registered-models/create": [400, { error_code: "RESOURCE_ALREADY_EXISTS", message: "exists" }],
        "model-versions/create": [200, { model_version: { name: "qwen-small", version: "3" } }],
      },
    );
    expect(code).toBe(0);
    expect(calls.map((c) => c.path)).toEqual(["registered-models/create", "model-versions/create"]);
    expect(calls[1]!.body).toMatchObject({ name: "qwen-small", source: "s3://bucket/models/qwen-small/v2", run_id: "run123" });
    expect(calls[1]!.body.tags).toEqual(expect.arrayContaining([{ key: "perplexity", value: "9.5" }, { key: "model_check", value: "passed" }]));
    expect(readFileSync(join(dir, "registry-version"), "utf8")).toBe("3");
  });

  it("register-model fails on any other refusal, rather than registering nothing silently", async () => {
    const { code } = await runAgainstStub(
      registerModelScript,
      { ...common, MODEL_SOURCE: "s3://b/m", RUN_ID: "", PERPLEXITY: "1", MAX_PERPLEXITY: "2" },
      { "registered-models/create": [403, { error_code: "PERMISSION_DENIED" }] },
    );
    expect(code).not.toBe(0);
  });

  it("record-deploy: the serving alias moves to the deployed version, which records where it serves", async () => {
    const { code, calls } = await runAgainstStub(recordDeployScript, { ...common, REGISTRY_VERSION: "3", SERVING_NAMESPACE: "llm-serving" }, {});
    expect(code).toBe(0);
    expect(calls[0]).toEqual({ path: "registered-models/alias", body: { name: "qwen-small", alias: servingAlias, version: "3" } });
    expect(calls.slice(1).map((c) => [c.body.key, c.body.value])).toContainEqual(["serving.deployment", "llm-serving/deployment/qwen-small"]);
  });
});
