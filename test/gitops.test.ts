import { WorkflowTemplate } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/WorkflowTemplate";
import { Application } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import { Workflow } from "@kubernetes-models/argo-workflows/argoproj.io/v1alpha1/Workflow";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { adminPasswordMtime, argoCdValues } from "../components/gitops/argo-cd";
import { argoWorkflowsValues, artifactRepositoryValues } from "../components/gitops/argo-workflows";
import { s3RemoteOptions } from "../components/rclone";
import { pipelineTasksFor } from "../components/gitops/pipeline-templates";
import { charts } from "../components/versions";
import { secretPlaceholder } from "../scripts/lib/stack-file";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { ingressRouting } from "../stacks/ingress";
import { eksGpuInstances } from "../stacks/config/cluster-eks";
import { fitsNode } from "../stacks/config/rules";
import { unknownValueKeys } from "./support/chart-keys";
import { loadStackConfig, withIngressNginx } from "./support/loaded-config";
import { ofType, repoRoot, synthStack } from "./support/synth";
import { synthVariant } from "./support/variant";

const workflowTemplateType = "kubernetes:argoproj.io/v1alpha1:WorkflowTemplate";
const applicationType = "kubernetes:argoproj.io/v1alpha1:Application";
const releaseOf = (result: SynthResult, chart: string) => ofType(result, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.chart === chart)!;
// With this repo's node10 module resolution tsc cannot see the models' base class (exports-only package).
const validate = (model: object) => (model as { validate(): void }).validate();
type Template = { name: string; dag?: { tasks: { name: string; depends?: string }[] }; [key: string]: unknown };
const templatesOf = (resource: SynthResource) => (resource.inputs.spec as { templates: Template[] }).templates;

let dev: SynthResult;
let variant: SynthResult;
let noModels: SynthResult;
beforeAll(async () => {
  dev = await synthStack("dev");
  // The pipeline on a stack that serves nothing: there is no serving namespace.
  noModels = await synthVariant("dev", (config) => {
    config.models = [];
  });
  // The same dev stack with the optional parts on: an app-of-apps root, a failure webhook and its
  // model loaded from the bucket (so the pipeline may deploy it), on the ingress-nginx front door,
  // whose Ingresses must wait for its admission webhook (test/gateway.test.ts covers the Gateway).
  variant = await synthVariant("dev", (config) => {
    (config.addons as Record<string, Record<string, unknown>>).ingress!.implementation = "ingress-nginx";
    (config.models as Record<string, unknown>[])[0]!.weightsFrom = "bucket";
    (config.addons as Record<string, unknown>).argocd = { appOfApps: { repoUrl: "https://github.com/example/platform-apps.git" } };
    config.notifyWebhookUrl = { secure: "AAABAKn0t+a+real+ciphertext" };
    config.hfToken = { secure: "AAABAKn0t+a+real+ciphertext+either" };
  });
});

describe("Argo CD", () => {
  it("passes only values keys that the pinned argo-cd chart has", () => {
    const layer = ingressRouting(loadStackConfig("dev"));
    expect(unknownValueKeys(charts.argoCd, argoCdValues(layer, "$2a$10$hash"))).toEqual([]);
  });

  it("hands the chart the bcrypt hash only as a secret, and exposes the password only as a secret output", () => {
    expect(releaseOf(dev, "argo-cd").inputs.values).toBe("[secret]");
    expect(dev.outputs.argocdAdminPassword).toBe("[secret]");
    expect(JSON.stringify([variant.resources, variant.outputs])).not.toMatch(/mock-password-|mockbcrypthash/);
  });

  it("serves through the ingress with TLS, plain HTTP behind it, read-only by default, without Dex", () => {
    const values = argoCdValues(ingressRouting(withIngressNginx(loadStackConfig("dev"))), "hash") as {
      configs: { params: Record<string, unknown>; rbac: Record<string, unknown> };
      dex: { enabled: boolean };
      server: { ingress: { enabled: boolean; hostname: string; ingressClassName: string; annotations: Record<string, string>; extraTls: unknown[] } };
    };
    expect(values.server.ingress).toMatchObject({ enabled: true, hostname: "argocd.dev.llm.example.com", ingressClassName: "nginx" });
    expect(values.server.ingress.annotations["cert-manager.io/cluster-issuer"]).toBe("llm-platform-private-ca");
    expect(values.server.ingress.extraTls).toEqual([{ hosts: ["argocd.dev.llm.example.com"], secretName: "argocd-tls" }]);
    expect(values.configs.params["server.insecure"]).toBe(true);
    expect(values.configs.rbac["policy.default"]).toBe("role:readonly");
    expect(values.dex.enabled).toBe(false);
  });

  it("keeps the admin password's mtime fixed, so a values change does not log everyone out, and rotates both together", () => {
    const values = argoCdValues(undefined, "hash") as { configs: { secret: Record<string, string> } };
    expect(values.configs.secret.argocdServerAdminPasswordMtime).toBe(adminPasswordMtime);
    expect(new Date(adminPasswordMtime).toISOString().replace(".000", "")).toBe(adminPasswordMtime);
    const generator = ofType(dev, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith("-argocd-admin-password"))!;
    expect(generator.inputs.keepers).toEqual({ mtime: adminPasswordMtime });
  });

  it("has no ingress and no domain without the ingress layer", () => {
    const values = argoCdValues(undefined, "hash");
    expect(values).not.toHaveProperty("global");
    expect(values).toMatchObject({ server: { ingress: { enabled: false } } });
    expect(unknownValueKeys(charts.argoCd, values)).toEqual([]);
  });

  it("creates the app-of-apps root Application only when configured, valid against the Argo CD CRD schema", () => {
    expect(ofType(dev, applicationType)).toHaveLength(0);
    const [root] = ofType(variant, applicationType);
    expect(root!.inputs).toMatchObject({ spec: { source: { repoURL: "https://github.com/example/platform-apps.git", path: "apps", targetRevision: "main" } } });
    expect(() => validate(new Application(root!.inputs as never))).not.toThrow();
  });
});

describe("Argo Workflows", () => {
  it("passes only values keys that the pinned argo-workflows chart has", () => {
    expect(unknownValueKeys(charts.argoWorkflows, releaseOf(dev, "argo-workflows").inputs.values as Record<string, unknown>)).toEqual([]);
  });

  it("never runs the server in unauthenticated server mode, and reaches the bucket without static keys", () => {
    const values = releaseOf(dev, "argo-workflows").inputs.values as Record<string, never>;
    expect(values).toMatchObject({ server: { authModes: ["client"] }, useStaticCredentials: false });
    // dev is EKS: the stack's S3 bucket, reached through IRSA.
    expect(values).toMatchObject({ artifactRepository: { s3: { bucket: dev.outputs.bucketName, endpoint: "s3.amazonaws.com", region: "us-east-1", useSDKCreds: true } } });
    // Behind the Gateway (dev) the program's HTTPRoute serves the UI; with ingress-nginx, the chart's Ingress.
    expect(values).toMatchObject({ server: { ingress: { enabled: false } } });
    const nginx = releaseOf(variant, "argo-workflows").inputs.values as Record<string, never>;
    expect(nginx).toMatchObject({ server: { ingress: { enabled: true, hosts: ["workflows.dev.llm.example.com"], tls: [{ secretName: "workflows-tls" }] } } });
  });

  it("keeps artifacts in S3 through IRSA, in GCS through Workload Identity, or nowhere without a bucket", () => {
    const bucket = "models" as never;
    const s3 = artifactRepositoryValues({ kind: "s3", bucket, url: bucket, region: "eu-west-1" });
    expect(s3).toEqual({ artifactRepository: { s3: { bucket, endpoint: "s3.amazonaws.com", region: "eu-west-1", useSDKCreds: true } } });
    const gcs = artifactRepositoryValues({ kind: "gcs", bucket, url: bucket });
    expect(gcs).toEqual({ artifactRepository: { gcs: { bucket } } });
    expect(artifactRepositoryValues(undefined)).toEqual({});
    // An S3-compatible store (k3s) has no workload identity and the platform takes no static keys:
    // no repository the pods could not authenticate to, and the pipeline refuses it.
    const compatible = { kind: "s3-compatible", bucket, url: bucket, endpoint: "https://s3.lab.example.com" } as const;
    expect(artifactRepositoryValues(compatible)).toEqual({});
    expect(() => s3RemoteOptions(compatible)).toThrow(/workload identity/);
    for (const objectStore of [{ kind: "s3", bucket, url: bucket } as const, { kind: "gcs", bucket, url: bucket } as const, undefined]) {
      const values = argoWorkflowsValues({ workflowNamespace: "ml-pipelines", ingress: undefined, objectStore, serverAnnotations: {} });
      expect(unknownValueKeys(charts.argoWorkflows, values)).toEqual([]);
      expect(values.useStaticCredentials).toBe(false);
      // The CRDs come from inside the chart, not from a hook Job that downloads them from GitHub.
      expect(values.crds).toEqual({ install: true, keep: true, full: false });
    }
  });

  it("runs pipelines under a service account that may only report step results", () => {
    const runner = ofType(dev, "kubernetes:core/v1:ServiceAccount").find((r) => r.name.endsWith("-workflows-runner"))!;
    expect(runner.inputs).toMatchObject({ metadata: { name: "pipeline-runner", namespace: "ml-pipelines" } });
    const role = ofType(dev, "kubernetes:rbac.authorization.k8s.io/v1:Role").find((r) => r.name.endsWith("-workflows-runner"))!;
    expect(role.inputs.rules).toEqual([{ apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] }]);
  });
});

describe("the ML pipeline", () => {
  let pipeline: SynthResource;
  let templates: Template[];
  const env = (name: string) => ((templates.find((t) => t.name === name)!.container as { env: { name: string; value: string }[] }).env);
  beforeAll(() => {
    pipeline = ofType(dev, workflowTemplateType).find((r) => (r.inputs.metadata as { name: string }).name === "llm-pipeline")!;
    templates = templatesOf(pipeline);
  });

  it("validates every WorkflowTemplate against the Argo Workflows CRD schema", () => {
    const all = ofType(variant, workflowTemplateType);
    expect(all.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual(["llm-pipeline", "pipeline-notify"]);
    for (const template of all) expect(() => validate(new WorkflowTemplate(template.inputs as never)), template.name).not.toThrow();
  });

  it("checks its parameters, runs fetch-dataset, train, evaluate, then upload-model and model-check in parallel, registers the model, then deploy", () => {
    const dag = templates.find((t) => t.name === "pipeline")!.dag!.tasks;
    expect(dag.map((task) => [task.name, task.depends ?? ""])).toEqual([
      ["validate-parameters", ""],
      ["fetch-dataset", "validate-parameters"],
      ["train", "fetch-dataset"],
      ["evaluate", "train"],
      ["upload-model", "evaluate"],
      ["model-check", "evaluate"],
      // dev has the model registry (test/mlflow.test.ts): the checked upload is registered before deploy.
      ["register-model", "upload-model && model-check"],
      ["deploy", "register-model && validate-parameters"],
      ["explain-no-deploy", "upload-model && model-check && validate-parameters"],
      ["record-deploy", "deploy.Succeeded && register-model"],
    ]);
    expect(pipelineTasksFor(true).map((task) => task.name)).toEqual(dag.map((task) => task.name));
    for (const task of dag) expect(templates.map((t) => t.name)).toContain(task.name);
  });

  it("takes the dataset URI, model name, model version and GPU count as parameters", () => {
    const names = (pipeline.inputs.spec as { arguments: { parameters: { name: string }[] } }).arguments.parameters.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["dataset-uri", "model-name", "model-version", "gpu-count"]));
  });

  it("trains on the stack's GPU pool with the GPU count parameter and its tolerations (EKS needs no RuntimeClass)", () => {
    const train = templates.find((t) => t.name === "train")!;
    expect(train.nodeSelector).toEqual({ "llm-platform.io/gpu-pool": "l4" });
    expect(train.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    expect(JSON.parse(train.podSpecPatch as string)).toEqual({
      containers: [{ name: "main", resources: { limits: { "nvidia.com/gpu": "{{inputs.parameters.gpu-count}}" } } }],
    });
  });

  it("gives GPUs to serving first: pipeline pods run below serving's priority and never preempt", () => {
    expect((pipeline.inputs.spec as { podPriorityClassName: string }).podPriorityClassName).toBe("llm-pipeline");
    const classes = Object.fromEntries(ofType(dev, "kubernetes:scheduling.k8s.io/v1:PriorityClass").map((r) => [(r.inputs.metadata as { name: string }).name, r.inputs as { value: number; preemptionPolicy: string }]));
    expect(classes["llm-pipeline"]).toMatchObject({ preemptionPolicy: "Never" });
    expect(classes["llm-serving"]).toMatchObject({ preemptionPolicy: "PreemptLowerPriority" });
    expect(classes["llm-serving"]!.value).toBeGreaterThan(classes["llm-pipeline"]!.value);
  });

  it("runs model-check on the GPU pool, where the trainer image already is, without taking a GPU", () => {
    const check = templates.find((t) => t.name === "model-check")!;
    const train = templates.find((t) => t.name === "train")!;
    expect(check.nodeSelector).toEqual(train.nodeSelector);
    expect(check.tolerations).toEqual(train.tolerations);
    expect((check.script as { image: string }).image).toBe((train.script as { image: string }).image);
    expect(JSON.stringify(check)).not.toContain("nvidia.com/gpu\":");
  });

  it("uploads the model to the stack's bucket and deploys it under a service account that can only patch Deployments", () => {
    expect(env("upload-model")).toContainEqual({ name: "TARGET", value: `s3://${String(dev.outputs.bucketName)}/models/{{workflow.parameters.model-name}}/{{workflow.parameters.model-version}}` });
    expect(templates.find((t) => t.name === "deploy")!.serviceAccountName).toBe("model-deployer");
    const role = ofType(variant, "kubernetes:rbac.authorization.k8s.io/v1:Role").find((r) => r.name.endsWith("-pipeline-deployer"))!;
    expect(role.inputs.rules).toEqual([{ apiGroups: ["apps"], resources: ["deployments"], resourceNames: ["qwen-small"], verbs: ["get", "patch"] }]);
    // dev serves its model from the Hub: the pipeline never deploys it, so the deployer gets no rights on it.
    expect(ofType(dev, "kubernetes:rbac.authorization.k8s.io/v1:Role").filter((r) => r.name.endsWith("-pipeline-deployer"))).toEqual([]);
  });

  it("archives step logs only from pods whose service account can write the bucket (deploy's cannot)", () => {
    // Argo's IsArchiveLogs: the controller's repository setting, when on, wins over everything;
    // otherwise the template's archiveLocation.archiveLogs, then the workflow spec's archiveLogs.
    const controllerOn = (releaseOf(dev, "argo-workflows").inputs.values as { artifactRepository: { archiveLogs?: boolean } }).artifactRepository.archiveLogs === true;
    const spec = pipeline.inputs.spec as { archiveLogs?: boolean; serviceAccountName: string };
    const archives = (t: Template) =>
      controllerOn || ((t.archiveLocation as { archiveLogs?: boolean } | undefined)?.archiveLogs ?? spec.archiveLogs ?? false);
    const withPods = templates.filter((t) => t.container ?? t.script ?? t.resource);
    const bucketWriters = new Set([spec.serviceAccountName]);
    for (const t of withPods) expect(archives(t), t.name).toBe(bucketWriters.has((t.serviceAccountName as string | undefined) ?? spec.serviceAccountName));
    expect(archives(templates.find((t) => t.name === "train")!)).toBe(true);
    expect(archives(templates.find((t) => t.name === "deploy")!)).toBe(false);
  });

  it("without models, gives deploy no rights anywhere and no namespace, so it stops saying why (pulumi up cannot fail on a missing namespace)", () => {
    const roles = [...ofType(noModels, "kubernetes:rbac.authorization.k8s.io/v1:Role"), ...ofType(noModels, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")];
    expect(roles.map((r) => (r.inputs.metadata as { namespace: string }).namespace)).not.toContain("llm-serving");
    expect(ofType(noModels, "kubernetes:core/v1:Namespace").map((r) => (r.inputs.metadata as { name: string }).name)).not.toContain("llm-serving");
    const pipelineTemplate = ofType(noModels, workflowTemplateType).find((r) => (r.inputs.metadata as { name: string }).name === "llm-pipeline")!;
    const validateStep = templatesOf(pipelineTemplate).find((t) => t.name === "validate-parameters")!.container as { env: { name: string; value: string }[] };
    expect(validateStep.env).toContainEqual({ name: "SERVING_NAMESPACE", value: "" });
    expect(env("validate-parameters")).toContainEqual({ name: "SERVING_NAMESPACE", value: "llm-serving" });
  });

  it("sizes train and evaluate to fit one node of the first GPU pool's first instance type (EKS dev) and a g2-standard-8 (GKE dev)", () => {
    const devPool = (parse(readFileSync(join(repoRoot, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, { gpuPools: { instanceTypes: string[] }[] }> })
      .config["llm-platform:cluster"]!.gpuPools[0]!.instanceTypes[0]!;
    const nodes = { [devPool]: eksGpuInstances[devPool]!, "g2-standard-8": { vcpus: 8, memoryGiB: 32 } };
    for (const name of ["train", "evaluate"]) {
      const { requests } = (templates.find((t) => t.name === name)!.script as { resources: { requests: { cpu: string; memory: string } } }).resources;
      const request = { cpu: Number(requests.cpu), memoryGiB: Number(requests.memory.replace(/Gi$/, "")) };
      for (const [type, node] of Object.entries(nodes)) expect(fitsNode(request, node), `${name} on ${type}`).toBe(true);
    }
  });

  it("notifies on failure only, through a webhook URL kept in a Secret, with a body Slack and Discord accept", () => {
    expect(pipeline.inputs.spec).not.toHaveProperty("onExit");
    const withHook = ofType(variant, workflowTemplateType);
    const main = withHook.find((r) => (r.inputs.metadata as { name: string }).name === "llm-pipeline")!;
    expect(main.inputs.spec).toMatchObject({ onExit: "exit-handler" });
    const handler = templatesOf(main).find((t) => t.name === "exit-handler")!;
    expect(handler.dag!.tasks).toEqual([expect.objectContaining({ when: "{{workflow.status}} != Succeeded" })]);
    const notify = withHook.find((r) => (r.inputs.metadata as { name: string }).name === "pipeline-notify")!;
    const env = (templatesOf(notify)[0]!.container as { env: Record<string, unknown>[] }).env;
    expect(env).toContainEqual({ name: "WEBHOOK_URL", valueFrom: { secretKeyRef: { name: "pipeline-notify-webhook", key: "url" } } });
    expect(env).toContainEqual({ name: "MESSAGE", value: expect.stringContaining("{{workflow.parameters.model-name}}") });
    const secret = ofType(variant, "kubernetes:core/v1:Secret").find((r) => r.name.endsWith("-pipeline-webhook"))!;
    expect(secret.inputs.stringData).toBe("[secret]");
    expect(JSON.stringify([variant.resources, variant.outputs])).not.toContain(secretPlaceholder("notifyWebhookUrl"));
  });

  it("gives the training steps a Hugging Face token only from a Secret, and only when the stack has one", () => {
    expect(ofType(dev, "kubernetes:core/v1:Secret").filter((r) => r.name.endsWith("-pipeline-hf-token"))).toHaveLength(0);
    const secret = ofType(variant, "kubernetes:core/v1:Secret").find((r) => r.name.endsWith("-pipeline-hf-token"))!;
    expect(secret.inputs.stringData).toBe("[secret]");
    const train = templates.find((t) => t.name === "train")!.script as { env: Record<string, unknown>[] };
    expect(train.env).toContainEqual({ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "pipeline-hf-token", key: "token", optional: true } } });
  });
});

describe("the sample Workflow in pipelines/", () => {
  it("submits the pipeline template with every parameter it requires, and only parameters it has", () => {
    const sample = parse(readFileSync(join(repoRoot, "pipelines", "sample-workflow.yaml"), "utf8")) as {
      metadata: { namespace: string };
      spec: { workflowTemplateRef: { name: string }; arguments: { parameters: { name: string }[] } };
    };
    expect(() => validate(new Workflow(sample as never))).not.toThrow();
    const pipeline = ofType(dev, workflowTemplateType).find((r) => (r.inputs.metadata as { name: string }).name === sample.spec.workflowTemplateRef.name)!;
    expect((pipeline.inputs.metadata as { namespace: string }).namespace).toBe(sample.metadata.namespace);
    const declared = (pipeline.inputs.spec as { arguments: { parameters: { name: string; value?: string }[] } }).arguments.parameters;
    const given = sample.spec.arguments.parameters.map((p) => p.name);
    for (const name of given) expect(declared.map((p) => p.name)).toContain(name);
    for (const required of declared.filter((p) => p.value === undefined)) expect(given).toContain(required.name);
  });
});

describe("outputs", () => {
  it("has the Argo CD and Argo Workflows URLs and the admin password as a secret", () => {
    expect(dev.outputs).toMatchObject({
      argocdUrl: "https://argocd.dev.llm.example.com",
      argoWorkflowsUrl: "https://workflows.dev.llm.example.com",
      argocdAdminPassword: "[secret]",
    });
  });
});

describe("ordering: add-ons wait on one another only for CRDs and webhooks", () => {
  const byUrn = () => new Map(variant.resources.map((r) => [r.urn, r]));
  /**
   * The add-on a resource belongs to: Argo CD and Argo Workflows (with its pipeline) each count as one;
   * elsewhere an area's components form one add-on (e.g. monitoring, logging, serving with KEDA).
   */
  const addonOf = (urn: string): string => {
    const resources = byUrn();
    let resource = resources.get(urn)!;
    while (resource.parent && resources.get(resource.parent)?.type !== "pulumi:pulumi:Stack") resource = resources.get(resource.parent)!;
    if (resource.type === "llm-platform:gitops:MlPipeline" || resource.type === "llm-platform:gitops:ModelEvaluation") return "llm-platform:gitops:ArgoWorkflows";
    // The cluster is what every add-on stands on (IAM roles for service accounts live there), not an add-on.
    if (resource.type.startsWith("llm-platform:cluster:")) return "cluster";
    return resource.type.startsWith("llm-platform:gitops:") ? resource.type : resource.type.split(":").slice(0, 2).join(":");
  };
  /** Everything a resource waits on, transitively, short of the cluster every add-on stands on. */
  const closure = (urn: string, seen = new Set<string>()): Set<string> => {
    for (const dependency of byUrn().get(urn)!.dependsOn) {
      if (!seen.has(dependency) && addonOf(dependency) !== "cluster") {
        seen.add(dependency);
        closure(dependency, seen);
      }
    }
    return seen;
  };
  const nameOf = (urn: string) => urn.split("::").pop();

  it("crosses add-ons only for CRDs and the one namespace the pipeline's deploy Role lives in", () => {
    const crossing = variant.resources.flatMap((resource) =>
      resource.dependsOn
        .filter((urn) => addonOf(urn) !== addonOf(resource.urn) && addonOf(urn) !== "cluster")
        .map((urn) => `${resource.name} -> ${nameOf(urn)}`),
    );
    expect([...new Set(crossing)].sort()).toEqual([
      // Everything that creates an Ingress (these four releases render one, Kibana's is its own) waits
      // for the ingress controller's admission webhook (failurePolicy Fail), whose caBundle a
      // post-install hook of the controller's release patches in.
      "llm-dev-argocd-release -> llm-dev-ingress-nginx-release",
      // PodMonitor and ServiceMonitor CRDs of the ECK operator and Fluent Bit.
      "llm-dev-eck-release -> llm-dev-prometheus-crds-release",
      // The scheduled evaluation's copy of the models' API key: data, read from the serving key's value.
      "llm-dev-evaluation-api-key -> llm-dev-llm-api-key",
      "llm-dev-fluent-bit-release -> llm-dev-prometheus-crds-release",
      // ServiceMonitor CRD for the controller's metrics.
      "llm-dev-ingress-nginx-release -> llm-dev-prometheus-crds-release",
      "llm-dev-kibana-ingress -> llm-dev-ingress-nginx-release",
      "llm-dev-llm-qwen-small -> llm-dev-ingress-nginx-release",
      // ServiceMonitor CRD of the serving release (its ScaledObject CRD comes from KEDA, same add-on).
      "llm-dev-llm-qwen-small -> llm-dev-prometheus-crds-release",
      // The model registry's Ingress (basic auth at ingress-nginx).
      "llm-dev-mlflow-ingress -> llm-dev-ingress-nginx-release",
      "llm-dev-monitoring-release -> llm-dev-ingress-nginx-release",
      // The Role that lets deploy patch serving lives in the serving namespace.
      "llm-dev-pipeline-deployer -> llm-dev-llm-ns",
      "llm-dev-workflows-release -> llm-dev-ingress-nginx-release",
      // ServiceMonitor CRD for the controller's metrics (the evaluation score among them).
      "llm-dev-workflows-release -> llm-dev-prometheus-crds-release",
    ]);
  });

  it("creates no Ingress before the ingress controller's admission webhook answers", () => {
    const controller = releaseOf(variant, "ingress-nginx");
    const waitsOnController = variant.resources.filter((resource) => resource.dependsOn.includes(controller.urn)).map((r) => r.name).sort();
    // Exactly the Ingress objects and the releases whose charts render one (Argo CD, Argo Workflows,
    // Grafana, each model); nothing else is held back.
    expect(waitsOnController).toEqual([
      "llm-dev-argocd-release", "llm-dev-kibana-ingress", "llm-dev-llm-qwen-small", "llm-dev-mlflow-ingress", "llm-dev-monitoring-release", "llm-dev-workflows-release",
    ]);
    for (const ingress of ofType(variant, "kubernetes:networking.k8s.io/v1:Ingress")) expect(waitsOnController).toContain(ingress.name);
  });

  it("orders the ClusterIssuer after cert-manager, the WorkflowTemplates after the Argo Workflows CRDs, the Application after Argo CD", () => {
    // dev's private CA: the issuer hosts use waits for its root, which waits for cert-manager, and nothing else.
    const issuer = ofType(variant, "kubernetes:cert-manager.io/v1:ClusterIssuer").find((r) => (r.inputs.metadata as { name: string }).name === "llm-platform-private-ca")!;
    expect(new Set([...closure(issuer.urn)].map(nameOf))).toEqual(
      new Set(["llm-dev-cert-manager-ca-root", "llm-dev-cert-manager-ca-root-issuer", "llm-dev-cert-manager-release", "llm-dev-cert-manager-ns"]),
    );
    // Beyond their own add-on, both reach only the ingress controller, through their release's Ingress.
    const controller = releaseOf(variant, "ingress-nginx").urn;
    const throughController = new Set([controller, ...closure(controller)]);
    for (const template of ofType(variant, workflowTemplateType)) {
      const waitsOn = [...closure(template.urn)];
      expect(waitsOn.map(nameOf)).toContain("llm-dev-workflows-release");
      expect(new Set(waitsOn.filter((urn) => !throughController.has(urn)).map(addonOf))).toEqual(new Set(["llm-platform:gitops:ArgoWorkflows"]));
    }
    const [root] = ofType(variant, applicationType);
    const rootWaitsOn = [...closure(root!.urn)].filter((urn) => !throughController.has(urn));
    expect(rootWaitsOn.map(nameOf).sort()).toEqual(["llm-dev-argocd-admin-password", "llm-dev-argocd-ns", "llm-dev-argocd-release"]);
  });

  it("installs the add-on releases without waiting on one another, but for monitor CRDs and the ingress webhook", () => {
    const releases = ofType(variant, "kubernetes:helm.sh/v3:Release");
    for (const release of releases) {
      const others = [...closure(release.urn)].filter((urn) => addonOf(urn) !== addonOf(release.urn));
      // Monitoring, for the Prometheus Operator CRDs of the monitors these releases ship, and the
      // ingress controller (with what it waits on) for the admission webhook of the Ingresses they render.
      const chart = String(release.inputs.chart);
      const usesMonitors = ["ingress-nginx", "./charts/llm-serving", "eck-operator", "fluent-bit"].includes(chart);
      const rendersIngress = ["argo-cd", "argo-workflows", "kube-prometheus-stack", "./charts/llm-serving"].includes(chart);
      const webhookOrCrdsOnly = others.every((urn) => /prometheus-crds|ingress-nginx/.test(byUrn().get(urn)!.name));
      expect(others.map(nameOf).includes("llm-dev-ingress-nginx-release"), release.name).toBe(rendersIngress);
      if (usesMonitors) expect(others.map(nameOf), release.name).toContain("llm-dev-prometheus-crds-release");
      expect(webhookOrCrdsOnly, release.name).toBe(true);
    }
  });
});
