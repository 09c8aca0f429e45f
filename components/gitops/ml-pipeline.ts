import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { priorityClass } from "../addons/priority-class";
import type { GpuScheduling, ObjectStore } from "../cluster/types";
import { llmPipelineTemplate, notifyTemplate, pipelineNames, pipelinePriority } from "./pipeline-templates";
import { s3RemoteOptions } from "../rclone";

export interface MlPipelineArgs {
  readonly provider: k8s.Provider;
  /** The Argo Workflows release: it installs the WorkflowTemplate CRD, the only thing this waits for. */
  readonly workflowsRelease: pulumi.Resource;
  /** Namespace the Argo Workflows controller watches; the templates and their runs live there. */
  readonly namespace: pulumi.Output<string>;
  /** Service account of every step but deploy (bucket access through the cluster identity). */
  readonly runnerServiceAccount: string;
  /** Scheduling of the GPU pool train and evaluate run on. */
  readonly gpu: GpuScheduling;
  readonly objectStore: ObjectStore;
  /**
   * Namespace of the LLM serving Deployments the deploy step may patch; absent when the stack serves
   * no models, and then deploy gets no rights anywhere (and fails saying why).
   */
  readonly servingNamespace?: string;
  /** The stack's models[]: each is a serving Deployment of that name; deploy may patch only those. */
  readonly servedModels: readonly { readonly name: string; readonly weightsFrom: "hub" | "bucket"; readonly registry?: string }[];
  /** The resource that creates that namespace, when this stack creates it: the deploy Role waits for it. */
  readonly servingNamespaceResource?: pulumi.Resource;
  /** Secret webhook URL; without it the pipeline has no failure notice. */
  readonly notifyWebhookUrl?: pulumi.Input<string>;
  /** Secret Hugging Face token for gated base models. */
  readonly hfToken?: pulumi.Input<string>;
  /** The model registry's in-cluster tracking URI; without it the pipeline logs and registers nothing. */
  readonly trackingUri?: string;
}

/**
 * The ML pipeline: WorkflowTemplates for fetch-dataset → train (GPU) → evaluate → upload-model and
 * model-check in parallel → deploy, the failure notice, and the deploy step's narrow permissions.
 */
export class MlPipeline extends pulumi.ComponentResource {
  readonly templateName = pipelineNames.pipeline;

  constructor(name: string, args: MlPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:gitops:MlPipeline", name, {}, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const needsCrds = { ...k8sOpts, dependsOn: [args.workflowsRelease] };
    const { deployer, webhookSecret, webhookKey, hfTokenSecret, hfTokenKey } = pipelineNames;

    const secret = (child: string, secretName: string, key: string, value: pulumi.Input<string>) =>
      new k8s.core.v1.Secret(
        `${name}-${child}`,
        { metadata: { name: secretName, namespace: args.namespace }, stringData: { [key]: pulumi.secret(value) } },
        k8sOpts,
      );
    if (args.hfToken) secret("hf-token", hfTokenSecret, hfTokenKey, args.hfToken);

    if (args.notifyWebhookUrl) {
      secret("webhook", webhookSecret, webhookKey, args.notifyWebhookUrl);
      const notify = args.namespace.apply(notifyTemplate);
      new k8s.apiextensions.CustomResource(
        `${name}-notify`,
        { apiVersion: "argoproj.io/v1alpha1", kind: "WorkflowTemplate", metadata: notify.apply((t) => t.metadata as object), spec: notify.apply((t) => t.spec as object) },
        needsCrds,
      );
    }

    // deploy runs as its own service account: it may get and patch the bucket-loaded models'
    // Deployments in the serving namespace (nothing else, nowhere else) and report its result like
    // every step. Hub-loaded models are never patched (the pipeline refuses them), so no rights on them.
    const deployerAccount = new k8s.core.v1.ServiceAccount(`${name}-deployer`, { metadata: { name: deployer, namespace: args.namespace } }, k8sOpts);
    const subject = { kind: "ServiceAccount", name: deployerAccount.metadata.name, namespace: args.namespace };
    const servingNamespace = args.servingNamespace;
    const deployable = args.servedModels.filter((model) => model.weightsFrom === "bucket" && model.registry === undefined).map((model) => model.name);
    if (servingNamespace !== undefined && deployable.length > 0) {
      // Only the Role and its binding live in the serving namespace, so only they wait for it.
      const inServingNamespace = { ...k8sOpts, dependsOn: args.servingNamespaceResource ? [args.servingNamespaceResource] : [] };
      const patchServing = new k8s.rbac.v1.Role(
        `${name}-deployer`,
        {
          metadata: { name: deployer, namespace: servingNamespace },
          rules: [{ apiGroups: ["apps"], resources: ["deployments"], resourceNames: deployable, verbs: ["get", "patch"] }],
        },
        inServingNamespace,
      );
      new k8s.rbac.v1.RoleBinding(
        `${name}-deployer`,
        {
          metadata: { name: deployer, namespace: servingNamespace },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: patchServing.metadata.name },
          subjects: [subject],
        },
        inServingNamespace,
      );
    }
    new k8s.rbac.v1.RoleBinding(
      `${name}-deployer-results`,
      {
        metadata: { name: `${deployer}-results`, namespace: args.namespace },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: args.runnerServiceAccount },
        subjects: [subject],
      },
      k8sOpts,
    );

    // Below serving (components/serving/values.ts), and never preempting: a training run waits for a
    // free GPU and gives way to a serving replica that needs one.
    const priority = priorityClass(
      `${name}-priority`,
      { ...pipelinePriority, preempts: false, description: "ML pipeline steps: below LLM serving on the GPU pools." },
      k8sOpts,
    );
    const pipeline = pulumi.all([args.namespace, args.objectStore.url]).apply(([namespace, bucketUrl]) =>
      llmPipelineTemplate({
        namespace,
        runnerServiceAccount: args.runnerServiceAccount,
        deployerServiceAccount: deployer,
        gpu: args.gpu,
        bucketUrl,
        s3RemoteOptions: s3RemoteOptions(args.objectStore),
        ...(args.servingNamespace === undefined ? {} : { servingNamespace: args.servingNamespace }),
        servedModels: args.servedModels,
        notifyOnFailure: args.notifyWebhookUrl !== undefined,
        ...(args.trackingUri ? { trackingUri: args.trackingUri } : {}),
      }),
    );
    new k8s.apiextensions.CustomResource(
      `${name}-template`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "WorkflowTemplate",
        metadata: pipeline.apply((template) => template.metadata as Record<string, unknown>),
        spec: pipeline.apply((template) => template.spec as Record<string, unknown>),
      },
      { ...needsCrds, dependsOn: [args.workflowsRelease, priority] },
    );
    this.registerOutputs({ templateName: this.templateName });
  }
}
