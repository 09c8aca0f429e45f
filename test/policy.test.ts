import type { StackValidationPolicy } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { consumerKeyPolicyManifest, llmRouteManifest } from "../components/ingress/ai-gateway-manifests";
import { envoyProxyManifest, gatewayClassManifest, gatewayManifest, httpListenerName, httpRouteManifest, httpsRedirectManifest } from "../components/ingress/gateway-manifests";
import { platformGateway } from "../policy/lib";
import { policies } from "../policy/policies";
import { gatewayConventions } from "../stacks/ingress";
import { fromSynth, runPolicy, runStackPolicy, verdictsOnStack, type FakeResource } from "./support/policy";
import { stackNames, synthStack } from "./support/synth";
import type { SynthResult } from "../scripts/lib/synthesize";

/** A copy of `base` with `value` set at each dotted path. */
function patched(base: FakeResource, patches: Record<string, unknown>): FakeResource {
  const inputs = structuredClone(base.inputs);
  for (const [path, value] of Object.entries(patches)) {
    const keys = path.split(".");
    let target = inputs as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    if (value === undefined) delete target[keys[keys.length - 1]!];
    else target[keys[keys.length - 1]!] = value;
  }
  return { ...base, inputs };
}

// Resources that satisfy every policy, in the input shapes of @pulumi/aws 7, @pulumi/gcp 9 and @pulumi/kubernetes 4.
const eks: FakeResource = {
  type: "aws:eks/cluster:Cluster",
  stack: "prod",
  protect: true,
  inputs: {
    roleArn: "arn:aws:iam::111122223333:role/eks",
    vpcConfig: { subnetIds: ["subnet-a"], endpointPrivateAccess: true, endpointPublicAccess: false },
    encryptionConfig: { resources: ["secrets"], provider: { keyArn: "arn:aws:kms:eu-west-1:111122223333:key/k" } },
    enabledClusterLogTypes: ["api", "audit", "authenticator"],
  },
};
const gke: FakeResource = {
  type: "gcp:container/cluster:Cluster",
  stack: "prod",
  protect: true,
  inputs: {
    databaseEncryption: { state: "ENCRYPTED", keyName: "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k" },
    loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"] },
    privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true },
  },
};
const launchTemplate: FakeResource = {
  type: "aws:ec2/launchTemplate:LaunchTemplate",
  inputs: { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 }, networkInterfaces: [{ associatePublicIpAddress: "false" }] },
};
const container = {
  name: "app",
  image: "ghcr.io/example/app:1.4.2",
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
};
const deployment: FakeResource = {
  type: "kubernetes:apps/v1:Deployment",
  inputs: { metadata: { name: "app", namespace: "serving" }, spec: { template: { spec: { containers: [container] } } } },
};
const logCollector: FakeResource = {
  type: "kubernetes:apps/v1:DaemonSet",
  inputs: {
    metadata: { name: "llm-dev-fluent-bit", namespace: "logging" },
    spec: { template: { spec: { containers: [container], volumes: [{ name: "logs", hostPath: { path: "/var/log/containers" } }] } } },
  },
};
const service: FakeResource = {
  type: "kubernetes:core/v1:Service",
  inputs: { metadata: { name: "api", namespace: "serving" }, spec: { type: "ClusterIP", ports: [{ port: 80 }] } },
};
const chartParent = "urn:pulumi:dev::llm-platform::llm-platform:addon:Logging$kubernetes:helm.sh/v4:Chart::llm-dev-logs";

// The Gateway front door's objects, built by the program's own manifest functions.
const custom = (manifest: Record<string, unknown>, parentChain = ""): FakeResource => {
  const { apiVersion, kind, metadata } = manifest as { apiVersion: string; kind: string; metadata: { name: string } };
  const type = `kubernetes:${apiVersion}:${kind}`;
  return { type, name: metadata.name, urn: `urn:pulumi:dev::llm-platform::${parentChain}${type}::${metadata.name}`, inputs: manifest };
};
const platform = { name: platformGateway.name, namespace: platformGateway.namespace };
const apiListener = { ...platform, sectionName: "https-api" };
const gateway = custom(
  gatewayManifest({ ...platform, className: "llm-platform", domain: "example.com", hosts: [{ host: "api.example.com", secretName: "api-tls" }], annotations: {} }),
);
const grafanaRoute = custom(
  httpRouteManifest({ name: "grafana", namespace: "monitoring", gateway: { ...platform, sectionName: "https-grafana" }, host: "grafana.example.com", service: "grafana", port: 80 }),
);
const redirect = custom(httpsRedirectManifest("llm-platform-https-redirect", platform));
const llmRoute = custom(llmRouteManifest({ name: "llm-api", namespace: "llm-serving", gateway: apiListener, models: ["qwen-small"], requestTimeout: "600s" }));
const consumerKeys = custom(consumerKeyPolicyManifest("llm-api-consumer-keys", apiListener, "llm-api-consumers"));
/** A model's own host, as the serving component would route it (its URN names the component). */
const modelRoute = custom(
  httpRouteManifest({ name: "qwen-small", namespace: "llm-serving", gateway: { ...platform, sectionName: "https-qwen-small-api" }, host: "qwen-small.api.example.com", service: "qwen-small", port: 8000 }),
  "llm-platform:serving:LlmServing$",
);
const securityPolicy = (targetRef: Record<string, unknown>, spec: Record<string, unknown>, namespace: string = platform.namespace): FakeResource =>
  custom({ apiVersion: "gateway.envoyproxy.io/v1alpha1", kind: "SecurityPolicy", metadata: { name: "sp", namespace }, spec: { targetRefs: [targetRef], ...spec } });
const onGateway = { group: "gateway.networking.k8s.io", kind: "Gateway", name: platform.name };
const apiKeyAuth = (consumerKeys.inputs.spec as { apiKeyAuth: unknown }).apiKeyAuth;
const envoyProxy = custom(envoyProxyManifest({ name: "llm-platform-proxy", namespace: platform.namespace, flavour: "eks", replicas: 2, serviceType: "LoadBalancer" }));
const gatewayClass = custom(gatewayClassManifest("llm-platform", { name: "llm-platform-proxy", namespace: platform.namespace }));

interface Case {
  readonly policy: string;
  /** A resource, or for a stack policy the resources of a stack. */
  readonly passes: (FakeResource | FakeResource[])[];
  readonly fails: [FakeResource | FakeResource[], RegExp][];
}

const cases: Case[] = [
  {
    policy: "cluster-secrets-encryption",
    passes: [eks, gke],
    fails: [
      [patched(eks, { encryptionConfig: undefined }), /encrypt resources \["secrets"\]/],
      [patched(eks, { "encryptionConfig.resources": [] }), /encrypt resources/],
      [patched(gke, { "databaseEncryption.state": "DECRYPTED" }), /ENCRYPTED/],
    ],
  },
  {
    policy: "cluster-audit-logging",
    passes: [eks, gke],
    fails: [
      [patched(eks, { enabledClusterLogTypes: ["api"] }), /must include "audit"/],
      [patched(gke, { loggingConfig: undefined }), /SYSTEM_COMPONENTS and APISERVER/],
      [patched(gke, { loggingService: "none" }), /loggingService/],
    ],
  },
  {
    policy: "no-public-api-endpoint-in-prod",
    passes: [
      eks,
      patched(eks, { "vpcConfig.endpointPublicAccess": true, "vpcConfig.publicAccessCidrs": ["203.0.113.0/24"] }),
      { ...patched(eks, { vpcConfig: { subnetIds: ["subnet-a"] } }), stack: "dev" },
      gke,
      patched(gke, {
        "privateClusterConfig.enablePrivateEndpoint": false,
        masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }] },
      }),
    ],
    fails: [
      // EKS defaults: a public endpoint open to 0.0.0.0/0.
      [patched(eks, { vpcConfig: { subnetIds: ["subnet-a"] } }), /endpointPublicAccess false/],
      [patched(eks, { "vpcConfig.endpointPublicAccess": true, "vpcConfig.publicAccessCidrs": ["0.0.0.0/0"] }), /not 0.0.0.0\/0/],
      [patched(gke, { "privateClusterConfig.enablePrivateEndpoint": false }), /enablePrivateEndpoint/],
    ],
  },
  {
    policy: "imdsv2-required",
    passes: [launchTemplate, { type: "aws:eks/nodeGroup:NodeGroup", inputs: { launchTemplate: { id: "lt-1", version: "1" } } }],
    fails: [
      [patched(launchTemplate, { "metadataOptions.httpTokens": "optional" }), /httpTokens must be "required"/],
      [patched(launchTemplate, { "metadataOptions.httpPutResponseHopLimit": 2 }), /HopLimit must be 1/],
      [{ type: "aws:ec2/instance:Instance", inputs: {} }, /httpTokens/],
      [{ type: "aws:eks/nodeGroup:NodeGroup", inputs: { clusterName: "c" } }, /launch template/],
    ],
  },
  {
    policy: "no-public-node-ips",
    passes: [
      launchTemplate,
      gke,
      { type: "aws:ec2/subnet:Subnet", inputs: { mapPublicIpOnLaunch: true, tags: { "kubernetes.io/role/elb": "1" } } },
    ],
    fails: [
      [patched(launchTemplate, { networkInterfaces: [{ associatePublicIpAddress: "true" }] }), /associatePublicIpAddress/],
      [{ type: "aws:ec2/subnet:Subnet", inputs: { mapPublicIpOnLaunch: true, tags: { "kubernetes.io/role/internal-elb": "1" } } }, /mapPublicIpOnLaunch/],
      [patched(gke, { "privateClusterConfig.enablePrivateNodes": false }), /enablePrivateNodes must be true/],
      [{ type: "gcp:container/nodePool:NodePool", inputs: { networkConfig: { enablePrivateNodes: false } } }, /enablePrivateNodes/],
    ],
  },
  {
    policy: "protect-stateful-prod-resources",
    passes: [eks, gke, { type: "aws:s3/bucket:Bucket", stack: "prod", protect: true, inputs: {} }],
    fails: [
      [{ ...eks, protect: false }, /protect: true/],
      [{ type: "gcp:storage/bucket:Bucket", stack: "prod", inputs: {} }, /protect: true/],
      [{ type: "aws:kms/key:Key", stack: "prod", inputs: {} }, /protect: true/],
    ],
  },
  {
    policy: "workload-resources",
    passes: [
      deployment,
      // Upstream charts' pods are sized through chart values, not by this policy.
      { ...patched(deployment, { "spec.template.spec.containers": [{ name: "upstream", image: "x:1.0.0" }] }), parent: chartParent },
    ],
    fails: [
      [patched(deployment, { "spec.template.spec.containers": [{ ...container, resources: { requests: { cpu: "1" } } }] }), /requests.memory, limits.memory/],
      [
        { type: "kubernetes:batch/v1:Job", inputs: { spec: { template: { spec: { containers: [{ name: "step", image: "x:1.0.0" }] } } } } },
        /requests.cpu/,
      ],
    ],
  },
  {
    policy: "no-latest-images",
    passes: [
      deployment,
      patched(deployment, { "spec.template.spec.containers": [{ ...container, image: "registry.local:5000/app@sha256:abc" }] }),
      { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "x", version: "1.0.0", values: { image: { tag: "v1.2.3" } } } },
    ],
    fails: [
      [patched(deployment, { "spec.template.spec.containers": [{ ...container, image: "nginx" }] }), /has no tag/],
      [patched(deployment, { "spec.template.spec.containers": [{ ...container, image: "registry.local:5000/app" }] }), /has no tag/],
      [
        { type: "kubernetes:core/v1:Pod", inputs: { spec: { initContainers: [{ name: "init", image: "busybox:latest" }], containers: [container] } } },
        /latest tag/,
      ],
      [{ type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "x", version: "1.0.0", values: { server: { image: { tag: "latest" } } } } }, /values.server.image.tag/],
    ],
  },
  {
    policy: "no-privileged-or-host-access",
    passes: [deployment, logCollector],
    fails: [
      [patched(logCollector, { "spec.template.spec.volumes": [{ name: "etc", hostPath: { path: "/etc" } }] }), /hostPath \/etc/],
      [patched(deployment, { "spec.template.spec.volumes": [{ name: "logs", hostPath: { path: "/var/log" } }] }), /hostPath \/var\/log/],
      [patched(deployment, { "spec.template.spec.containers": [{ ...container, securityContext: { privileged: true } }] }), /privileged/],
      [patched(deployment, { "spec.template.spec.hostNetwork": true }), /host's network/],
    ],
  },
  {
    policy: "no-loadbalancer-services",
    passes: [
      service,
      patched(service, { "metadata.name": "llm-prod-ingress-nginx-controller", "spec.type": "LoadBalancer" }),
      { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "ingress-nginx", values: { controller: { service: { type: "LoadBalancer" } } } } },
      envoyProxy,
      patched(envoyProxy, { "metadata.name": "lab-proxy", "spec.provider.kubernetes.envoyService": { type: "NodePort" } }),
      gatewayClass,
    ],
    fails: [
      [patched(service, { "spec.type": "LoadBalancer" }), /serving\/api is of type LoadBalancer/],
      [{ type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "argo-cd", values: { server: { service: { type: "LoadBalancer" } } } } }, /values.server.service.type/],
      [patched(envoyProxy, { "metadata.name": "team-proxy" }), /EnvoyProxy envoy-gateway-system\/team-proxy makes a LoadBalancer/],
      // Envoy Gateway's default Service type is LoadBalancer.
      [patched(envoyProxy, { "metadata.name": "team-proxy", "spec.provider.kubernetes": {} }), /team-proxy makes a LoadBalancer/],
      [patched(gatewayClass, { "spec.parametersRef": undefined }), /needs parametersRef to an EnvoyProxy/],
    ],
  },
  {
    policy: "gateway-listeners-https",
    passes: [gateway],
    fails: [
      [patched(gateway, { "spec.listeners": [{ name: "http", protocol: "HTTP", port: 8080 }] }), /plain HTTP only on port 80/],
      [patched(gateway, { "spec.listeners": [{ name: "https", protocol: "HTTPS", port: 443, tls: { certificateRefs: [{ name: "x" }] } }] }), /needs a hostname/],
      [patched(gateway, { "spec.listeners": [{ name: "https-api", hostname: "api.example.com", protocol: "HTTPS", port: 443, tls: { mode: "Passthrough" } }] }), /Terminate[\s\S]*certificateRefs/],
      [patched(gateway, { "spec.listeners": [{ name: "db", protocol: "TCP", port: 5432 }] }), /protocol TCP is not allowed/],
    ],
  },
  {
    policy: "routes-on-platform-gateway",
    passes: [grafanaRoute, redirect, llmRoute],
    fails: [
      [patched(grafanaRoute, { "spec.parentRefs": [{ name: "team-gateway", namespace: "team", sectionName: "https" }] }), /only to the platform's Gateway/],
      [patched(grafanaRoute, { "spec.parentRefs": [{ name: platform.name, namespace: "monitoring", sectionName: "https-grafana" }] }), /only to the platform's Gateway/],
      [patched(grafanaRoute, { "spec.parentRefs": [{ name: platform.name, namespace: platform.namespace }] }), /set sectionName/],
      [patched(grafanaRoute, { "spec.parentRefs": [{ ...platform, sectionName: httpListenerName }] }), /only redirect to https/],
      [patched(llmRoute, { "spec.parentRefs": [{ ...platform, sectionName: httpListenerName }] }), /only redirect to https/],
      [patched(redirect, { "spec.rules": [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "http", port: 8080 } }] }] }), /only redirect to https/],
      [patched(grafanaRoute, { "spec.parentRefs": [{ kind: "Service", name: "grafana" }] }), /attach to a Gateway/],
    ],
  },
  {
    policy: "llm-routes-require-consumer-keys",
    passes: [
      [gateway, llmRoute, consumerKeys, grafanaRoute],
      // On the whole Gateway; and a route's own policy that merges with it.
      [llmRoute, securityPolicy(onGateway, { apiKeyAuth })],
      [llmRoute, securityPolicy(onGateway, { apiKeyAuth }), securityPolicy({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm-api" }, { mergeType: "StrategicMerge", cors: { allowOrigins: ["*"] } }, "llm-serving")],
      [modelRoute, securityPolicy({ ...onGateway, sectionName: "https-qwen-small-api" }, { apiKeyAuth })],
    ],
    fails: [
      [[gateway, llmRoute], /AIGatewayRoute llm-api on llm-platform\/https-api is not behind apiKeyAuth/],
      [[llmRoute, securityPolicy({ ...onGateway, sectionName: "https-api" }, { cors: { allowOrigins: ["*"] } })], /not behind apiKeyAuth/],
      // On the wrong listener, or in another namespace than the Gateway's.
      [[llmRoute, securityPolicy({ ...onGateway, sectionName: "https-grafana" }, { apiKeyAuth })], /not behind apiKeyAuth/],
      [[llmRoute, securityPolicy(onGateway, { apiKeyAuth }, "llm-serving")], /not behind apiKeyAuth/],
      // A policy on the route itself replaces its listener's.
      [[llmRoute, consumerKeys, securityPolicy({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm-api" }, { cors: { allowOrigins: ["*"] } }, "llm-serving")], /not behind apiKeyAuth/],
      // A model's own host with only the models' shared key.
      [[modelRoute, consumerKeys], /HTTPRoute qwen-small on llm-platform\/https-qwen-small-api is not behind apiKeyAuth/],
    ],
  },
  {
    policy: "chart-versions-pinned",
    passes: [
      { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "cert-manager", version: "v1.21.1" } },
      { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "/work/repo/charts/llm-serving" } },
      { type: "kubernetes:helm.sh/v4:Chart", inputs: { chart: "oci://registry-1.docker.io/x/y", version: "2.0.0-rc.1" } },
    ],
    fails: [
      [{ type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "argo-cd" } }, /exact semver/],
      [{ type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "argo-cd", version: "^10.1.0" } }, /exact semver/],
      [{ type: "kubernetes:helm.sh/v4:Chart", inputs: { chart: "keda", version: "2.x" } }, /exact semver/],
    ],
  },
];

describe("policy pack: each policy fails on a resource that violates it", () => {
  it("has cases for every policy in the pack, and every policy is mandatory", () => {
    expect(cases.map((c) => c.policy).sort()).toEqual(policies.map((p) => p.name).sort());
    for (const policy of policies) expect(policy.enforcementLevel, policy.name).toBe("mandatory");
  });

  describe.each(cases)("$policy", ({ policy: name, passes, fails }) => {
    const policy = policies.find((p) => p.name === name)!;

    const run = (resource: FakeResource | FakeResource[]) =>
      Array.isArray(resource) ? runStackPolicy(policy as StackValidationPolicy, resource) : runPolicy(policy, resource);

    it.each(passes.map((resource, i) => [i, resource] as const))("passes compliant resource #%i", async (_i, resource) => {
      const verdict = await run(resource);
      if (verdict.applicable === true) expect(verdict.violations).toEqual([]);
    });

    it.each(fails.map(([resource, message], i) => [i, resource, message] as const))(
      "fails violating resource #%i",
      async (_i, resource, message) => {
        const verdict = await run(resource);
        expect(verdict.applicable).toBe(true);
        if (verdict.applicable === true) expect(verdict.violations.join("\n")).toMatch(message);
      },
    );
  });

  it("still checks Helm values when some of them are unknown during preview", async () => {
    // The policy server's proxy throws on reading an unknown value; mimic it for one key.
    const values = new Proxy(
      { bucket: "unknown", service: { type: "LoadBalancer" } },
      {
        get: (target, key) => {
          if (key === "bucket") throw new Error("string value at .values.bucket can't be known during preview");
          return target[key as keyof typeof target];
        },
      },
    );
    const rule = policies.find((p) => p.name === "no-loadbalancer-services")!;
    const verdict = await runPolicy(rule, { type: "kubernetes:helm.sh/v3:Release", inputs: { chart: "x", values } });
    expect(verdict).toMatchObject({ violations: [expect.stringMatching(/values.service.type/)] });
  });

  it("applies the prod-only rules to prod stacks only", async () => {
    const openEks = patched(eks, { vpcConfig: { subnetIds: ["subnet-a"] } });
    const rule = policies.find((p) => p.name === "no-public-api-endpoint-in-prod")!;
    expect(await runPolicy(rule, { ...openEks, stack: "dev" })).toMatchObject({ applicable: false });
    expect(await runPolicy(rule, { ...openEks, stack: "prod" })).toMatchObject({ applicable: true });
  });
});

describe("policy pack on our stacks", () => {
  const stacks = stackNames();
  const results = new Map<string, SynthResult>();
  beforeAll(async () => {
    for (const stack of stacks) results.set(stack, await synthStack(stack));
  });

  it.each(policies.map((p) => [p.name, p] as const))("%s passes on every resource of every stack", async (_name, policy) => {
    const violations: string[] = [];
    for (const [stack, result] of results) {
      for (const { where, verdict } of await verdictsOnStack(policy, result.resources.map((r) => fromSynth(stack, r)))) {
        if (verdict.applicable === true) violations.push(...verdict.violations.map((v) => `${stack} ${where}: ${v}`));
      }
    }
    expect(violations).toEqual([]);
  });

  it("checks the Gateway front door's real objects: the pack's platform Gateway is the one the program makes", async () => {
    expect(platformGateway).toEqual({ namespace: gatewayConventions.namespace, name: gatewayConventions.gatewayName, httpListener: httpListenerName });
    const prod = results.get("prod")!.resources.map((r) => fromSynth("prod", r));
    const applicable = async (name: string) => {
      const verdicts = await verdictsOnStack(policies.find((p) => p.name === name)!, prod);
      return verdicts.filter(({ verdict }) => verdict.applicable === true).length;
    };
    // The Gateway; its redirect route and the add-ons' routes and the LLM API's; the EnvoyProxy and GatewayClass.
    expect(await applicable("gateway-listeners-https")).toBe(1);
    expect(await applicable("routes-on-platform-gateway")).toBeGreaterThanOrEqual(6);
    expect(await applicable("no-loadbalancer-services")).toBeGreaterThanOrEqual(2);
  });

  it("fails the prod stack's real Gateway objects once they are changed to break a rule", async () => {
    const prod = results.get("prod")!.resources.map((r) => fromSynth("prod", r));
    const byType = (type: string) => prod.find((r) => r.type === `kubernetes:${type}`)!;
    const rule = (name: string) => policies.find((p) => p.name === name)!;
    const realGateway = byType("gateway.networking.k8s.io/v1:Gateway");
    const listeners = (realGateway.inputs.spec as { listeners: Record<string, unknown>[] }).listeners;
    const plainApi = patched(realGateway, { "spec.listeners": listeners.map((l) => (l.hostname ? { ...l, protocol: "HTTP", port: 8080, tls: undefined } : l)) });
    expect(await runPolicy(rule("gateway-listeners-https"), plainApi)).toMatchObject({ violations: expect.arrayContaining([expect.stringMatching(/port 80/)]) });

    const realRoute = byType("aigateway.envoyproxy.io/v1beta1:AIGatewayRoute");
    const onPlainHttp = patched(realRoute, { "spec.parentRefs": [{ ...platform, sectionName: httpListenerName }] });
    expect(await runPolicy(rule("routes-on-platform-gateway"), onPlainHttp)).toMatchObject({ violations: [expect.stringMatching(/only redirect to https/)] });

    // Without the consumers' key policy the LLM API is open.
    const withoutKeys = prod.filter((r) => !(r.type.endsWith(":SecurityPolicy") && (r.inputs.spec as { apiKeyAuth?: unknown }).apiKeyAuth));
    expect(withoutKeys.length).toBe(prod.length - 1);
    expect(await runStackPolicy(rule("llm-routes-require-consumer-keys") as StackValidationPolicy, withoutKeys)).toMatchObject({
      violations: [expect.stringMatching(/AIGatewayRoute llm-api .* not behind apiKeyAuth/)],
    });

    const realProxy = byType("gateway.envoyproxy.io/v1alpha1:EnvoyProxy");
    expect(await runPolicy(rule("no-loadbalancer-services"), patched(realProxy, { "metadata.name": "other-proxy" }))).toMatchObject({ violations: [expect.any(String)] });
  });

  it("checks real resources (the chart releases), not only fakes", async () => {
    const pinned = policies.find((p) => p.name === "chart-versions-pinned")!;
    for (const [stack, result] of results) {
      const verdicts = await Promise.all(result.resources.map((r) => runPolicy(pinned, fromSynth(stack, r))));
      expect(verdicts.filter((v) => v.applicable === true).length, stack).toBeGreaterThan(0);
    }
  });

  it("fails the prod stack's real chart releases once they are changed to break a rule", async () => {
    const prod = results.get("prod")!;
    const release = prod.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
    const broken = (inputs: Record<string, unknown>) => ({ ...fromSynth("prod", release), inputs: { ...release.inputs, ...inputs } });
    const verdictOf = (name: string, inputs: Record<string, unknown>) => runPolicy(policies.find((p) => p.name === name)!, broken(inputs));

    expect(await verdictOf("chart-versions-pinned", { version: "~31.0" })).toMatchObject({ violations: [expect.stringMatching(/exact semver/)] });
    expect(await verdictOf("no-latest-images", { values: { image: { tag: "latest" } } })).toMatchObject({ violations: [expect.any(String)] });
    expect(await verdictOf("no-loadbalancer-services", { values: { service: { type: "LoadBalancer" } } })).toMatchObject({
      violations: [expect.any(String)],
    });
  });
});
