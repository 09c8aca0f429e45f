import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { logWriterRolesYaml } from "../components/logging/elasticsearch";
import { ilmPolicyName, indexTemplate } from "../components/logging/log-retention";
import { charts, elasticStackVersion, images } from "../components/versions";
import type { SynthResult } from "../scripts/lib/synthesize";
import { unknownValueKeys } from "./support/chart-keys";
import { dependsOnNames, releasesOf } from "./support/dependencies";
import { helm } from "./support/helm";
import { synthVariant, synthWithIngressNginx } from "./support/variant";
import { byName, ofType, repoRoot, synthStack } from "./support/synth";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const crdSchema = (file: string) => ajv.compile(JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "crds", file), "utf8")));
const validateElasticsearch = crdSchema("elasticsearch-v1.schema.json");
const validateKibana = crdSchema("kibana-v1.schema.json");


const stacks: Record<string, SynthResult> = {};
let withoutMonitoring: SynthResult;
beforeAll(async () => {
  // dev and prod as on ingress-nginx (its Ingresses and webhook ordering); test/gateway.test.ts checks
  // the committed stacks, which are on the Gateway.
  for (const stack of ["dev", "prod"]) stacks[stack] = await synthWithIngressNginx(stack);
  stacks.local = await synthStack("local");
  withoutMonitoring = await synthVariant("local", (config) => {
    config.addons = { ...(config.addons as object), monitoring: { enabled: false } };
  });
});

describe("the CRD schema check", () => {
  it("rejects an Elasticsearch without nodeSets and a nodeSet count that is not a number", () => {
    expect(validateElasticsearch({ spec: { version: "9.2.1" } })).toBe(false);
    expect(validateElasticsearch({ spec: { version: "9.2.1", nodeSets: [{ name: "a", count: "3" }] } })).toBe(false);
  });
});

describe.each([["dev", 1, 1, 50], ["prod", 3, 4, 200]] as const)("logging in %s", (stack, nodes, heapGiB, storageGiB) => {
  let result: SynthResult;
  let elasticsearch: Values;
  let kibana: Values;
  let fluentBit: Values;
  beforeAll(() => {
    result = stacks[stack]!;
    elasticsearch = byName(result, `llm-${stack}-elasticsearch-cluster`).inputs;
    kibana = byName(result, `llm-${stack}-kibana-kibana`).inputs;
    fluentBit = releasesOf(result, charts.fluentBit.chart)[0]!.inputs.values as Values;
  });

  it("installs the ECK operator in elastic-system at the pinned version", () => {
    const operator = releasesOf(result, charts.eckOperator.chart)[0]!;
    expect(operator.inputs).toMatchObject({ version: charts.eckOperator.version, namespace: "elastic-system" });
  });

  it("creates Elasticsearch and Kibana that validate against ECK's CRD schemas, after the ECK operator only", () => {
    expect(validateElasticsearch(elasticsearch), ajv.errorsText(validateElasticsearch.errors)).toBe(true);
    expect(validateKibana(kibana), ajv.errorsText(validateKibana.errors)).toBe(true);
    expect(dependsOnNames(result, byName(result, `llm-${stack}-kibana-kibana`))).toEqual([`llm-${stack}-eck-release`, `llm-${stack}-elasticsearch-ns`]);
    // Elasticsearch also waits for the log writer's Secrets, which ECK reads on its first reconcile.
    expect(dependsOnNames(result, byName(result, `llm-${stack}-elasticsearch-cluster`))).toEqual([
      `llm-${stack}-eck-release`, `llm-${stack}-elasticsearch-log-writer-role`, `llm-${stack}-elasticsearch-log-writer-user`, `llm-${stack}-elasticsearch-ns`,
    ]);
  });

  it(`runs ${nodes} Elasticsearch node(s) of version ${elasticStackVersion} with persistent storage and memory twice the heap`, () => {
    expect(elasticsearch.spec.version).toBe(elasticStackVersion);
    expect(elasticStackVersion).toMatch(/^9\.\d+\.\d+$/);
    const [nodeSet] = elasticsearch.spec.nodeSets;
    expect(nodeSet.count).toBe(nodes);
    expect(nodeSet.config["node.store.allow_mmap"]).toBe(false);
    const [container] = nodeSet.podTemplate.spec.containers;
    expect(container.name).toBe("elasticsearch");
    expect(container.env).toContainEqual({ name: "ES_JAVA_OPTS", value: `-Xms${heapGiB}g -Xmx${heapGiB}g` });
    expect(container.resources.limits.memory).toBe(`${heapGiB * 2}Gi`);
    expect(container.resources.requests.memory).toBe(`${heapGiB * 2}Gi`);
    const [claim] = nodeSet.volumeClaimTemplates;
    expect(claim.metadata.name).toBe("elasticsearch-data");
    expect(claim.spec).toMatchObject({ storageClassName: "gp3", resources: { requests: { storage: `${storageGiB}Gi` } } });
  });

  it("connects Kibana to that Elasticsearch and serves it through the ingress with TLS to an HTTPS backend", () => {
    expect(kibana.metadata.namespace).toBe(elasticsearch.metadata.namespace);
    expect(kibana.spec.elasticsearchRef).toEqual({ name: elasticsearch.metadata.name });
    expect(kibana.spec.version).toBe(elasticsearch.spec.version);
    const domain = stack === "prod" ? "llm.example.com" : "dev.llm.example.com";
    const ingress = byName(result, `llm-${stack}-kibana-ingress`).inputs as Values;
    expect(ingress.metadata.namespace).toBe(kibana.metadata.namespace);
    expect(ingress.metadata.annotations["nginx.ingress.kubernetes.io/backend-protocol"]).toBe("HTTPS");
    expect(ingress.metadata.annotations["cert-manager.io/cluster-issuer"]).toMatch(/^llm-platform-/);
    expect(ingress.spec.tls).toEqual([{ hosts: [`kibana.${domain}`], secretName: "kibana-tls" }]);
    const [path] = ingress.spec.rules[0].http.paths;
    expect(path.backend.service).toEqual({ name: `${kibana.metadata.name}-kb-http`, port: { number: 5601 } });
    expect(kibana.spec.config["server.publicBaseUrl"]).toBe(`https://kibana.${domain}`);
    expect(result.outputs.kibanaUrl).toBe(`https://kibana.${domain}`);
    // Created before the ingress controller's admission webhook answers, the Ingress would be rejected.
    expect(dependsOnNames(result, byName(result, `llm-${stack}-kibana-ingress`))).toEqual([`llm-${stack}-elasticsearch-ns`, `llm-${stack}-ingress-nginx-release`]);
    // Authentication is Elasticsearch's own: nothing may switch security off or let anonymous users in.
    expect(JSON.stringify([elasticsearch, kibana])).not.toMatch(/xpack\.security\.enabled|anonymous|disableElasticUser/);
  });

  it("gives Kibana ECK 3.5's default 2Gi (what Kibana 9.x needs to start) and makes pulumi up wait until it is healthy", () => {
    const [container] = kibana.spec.podTemplate.spec.containers;
    expect(container.resources.requests.memory).toBe("2Gi");
    expect(container.resources.limits.memory).toBe("2Gi");
    expect(kibana.metadata.annotations["pulumi.com/waitFor"]).toBe("jsonpath={.status.health}=green");
    expect(Number(kibana.metadata.annotations["pulumi.com/timeoutSeconds"])).toBeGreaterThanOrEqual(600);
  });

  it("runs Fluent Bit in Elasticsearch's namespace with ECK's credentials and CA, verifying TLS", () => {
    const release = releasesOf(result, charts.fluentBit.chart)[0]!;
    const esName = elasticsearch.metadata.name;
    expect(release.inputs.namespace).toBe(elasticsearch.metadata.namespace);
    expect(fluentBit.kind).toBe("DaemonSet");
    expect(fluentBit.env).toContainEqual({
      name: "ELASTICSEARCH_PASSWORD",
      valueFrom: { secretKeyRef: { name: `${esName}-log-writer-user`, key: "password" } },
    });
    const caVolume = fluentBit.extraVolumes.find((volume: Values) => volume.secret?.secretName === `${esName}-es-http-certs-public`);
    expect(caVolume.secret.items).toEqual([{ key: "ca.crt", path: "ca.crt" }]);
    const caMount = fluentBit.extraVolumeMounts.find((mount: Values) => mount.name === caVolume.name);

    const configFile = /^--config=\/fluent-bit\/etc\/conf\/(.+)$/.exec(fluentBit.args.find((arg: string) => arg.startsWith("--config=")))![1]!;
    expect(configFile).toMatch(/\.yaml$/);
    const config = parse(fluentBit.config.extraFiles[configFile]) as Values;
    const [input] = config.pipeline.inputs;
    expect(input).toMatchObject({ name: "tail", path: "/var/log/containers/*.log" });
    expect(config.pipeline.filters.map((filter: Values) => filter.name)).toContain("kubernetes");
    const [output] = config.pipeline.outputs;
    expect(output).toMatchObject({
      name: "es",
      host: `${esName}-es-http.${elasticsearch.metadata.namespace}.svc`,
      tls: "on",
      "tls.verify": "on",
      "tls.ca_file": `${caMount.mountPath}/ca.crt`,
      http_user: "fluent-bit",
      http_passwd: "${ELASTICSEARCH_PASSWORD}",
    });
  });

  const fluentBitConfig = () => {
    const file = /^--config=\/fluent-bit\/etc\/conf\/(.+)$/.exec(fluentBit.args.find((arg: string) => arg.startsWith("--config=")))![1]!;
    return parse(fluentBit.config.extraFiles[file]) as Values;
  };

  it("never sends Elasticsearch a document with duplicate fields, and gives up on a rejected one after a few tries, logging why", () => {
    const config = fluentBitConfig();
    const kubernetes = config.pipeline.filters.find((filter: Values) => filter.name === "kubernetes");
    // The app's JSON goes under its own key, so its "time" or "@timestamp" cannot clash with ours.
    expect(kubernetes).toMatchObject({ merge_log: "on", merge_log_key: "app" });
    // The CRI parser keeps its "time" string (time_keep on in Fluent Bit 5.1's built-in cri parser).
    const filters = config.pipeline.filters.map((filter: Values) => filter.name);
    const modify = config.pipeline.filters.find((filter: Values) => filter.name === "modify");
    expect(modify).toMatchObject({ match: "kube.*", remove: "time" });
    expect(filters.indexOf("modify")).toBeGreaterThan(filters.indexOf("kubernetes"));
    const [output] = config.pipeline.outputs;
    expect(output.retry_limit).toBeGreaterThan(0);
    expect(output.retry_limit).toBeLessThanOrEqual(10);
    expect(output.trace_error).toBe("on");
  });

  it("retries a chunk without indexing the records Elasticsearch already took a second time", () => {
    // Fluent Bit 5.1's es output retries the whole chunk when any record fails; with ids of its own
    // (hashed from the record) the resent ones are 409 conflicts, which it ignores, not new documents.
    const [output] = fluentBitConfig().pipeline.outputs;
    expect(output.write_operation).toBe("create");
    expect(output.generate_id).toBe("on");
    expect(output.id_key).toBeUndefined();
  });

  it("keeps tail's read positions on the node, so a restarted pod neither skips nor repeats logs, and loads the parsers pods may name", () => {
    const config = fluentBitConfig();
    const [input] = config.pipeline.inputs;
    expect(input.db).toMatch(/^\/var\/lib\/fluent-bit\/[^/]+\.db$/);
    const state = fluentBit.daemonSetVolumes.find((volume: Values) => volume.hostPath?.path === "/var/lib/fluent-bit");
    expect(state.hostPath.type).toBe("DirectoryOrCreate");
    expect(fluentBit.daemonSetVolumeMounts).toContainEqual({ name: state.name, mountPath: "/var/lib/fluent-bit" });
    expect(config.service.parsers_file).toBe("/fluent-bit/etc/parsers.conf");
  });

  it("signs Fluent Bit in as a file-realm user that may only append to the log data streams, never as elastic", () => {
    const esName = elasticsearch.metadata.name;
    expect(elasticsearch.spec.auth).toEqual({ fileRealm: [{ secretName: `${esName}-log-writer-user` }], roles: [{ secretName: `${esName}-log-writer-role` }] });
    const secrets = ofType(result, "kubernetes:core/v1:Secret").map((r) => r.inputs as Values);
    const user = secrets.find((secret) => secret.metadata.name === `${esName}-log-writer-user`)!;
    expect(user.type).toBe("kubernetes.io/basic-auth");
    expect(user.stringData).toBe("[secret]");
    // The provider marks every Secret's data secret, so the role is checked where it is built.
    expect(secrets.some((secret) => secret.metadata.name === `${esName}-log-writer-role`)).toBe(true);
    expect(parse(logWriterRolesYaml(["logs-kubernetes-*", "logs-kubernetes.node-*"]))).toEqual({
      "log-writer": { cluster: [], indices: [{ names: ["logs-kubernetes-*", "logs-kubernetes.node-*"], privileges: ["create_doc", "auto_configure"] }] },
    });
    // The writer may write exactly where the index templates, and so the retention policy, apply.
    expect(indexTemplate("logs-kubernetes-default").index_patterns).toEqual(["logs-kubernetes-*"]);
    expect(indexTemplate("logs-kubernetes.node-default").index_patterns).toEqual(["logs-kubernetes.node-*"]);
    expect(JSON.stringify(fluentBit)).not.toMatch(/es-elastic-user|"elastic"/);
    expect(dependsOnNames(result, byName(result, `llm-${stack}-elasticsearch-cluster`))).toEqual(
      expect.arrayContaining([`llm-${stack}-elasticsearch-log-writer-user`, `llm-${stack}-elasticsearch-log-writer-role`]),
    );
  });

  it("tolerates the GPU nodes' taints and mounts from the host only /var/log (and its journal), read-only, and its own state directory", () => {
    expect(fluentBit.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    const hostPaths = [...fluentBit.daemonSetVolumes, ...fluentBit.extraVolumes].filter((volume: Values) => volume.hostPath);
    expect(hostPaths.map((volume: Values) => volume.hostPath.path)).toEqual(["/var/log", "/var/log/journal", "/var/lib/fluent-bit"]);
    expect(fluentBit.daemonSetVolumeMounts).toEqual([
      { name: hostPaths[0].name, mountPath: "/var/log", readOnly: true },
      { name: hostPaths[1].name, mountPath: expect.any(String), readOnly: true },
      { name: hostPaths[2].name, mountPath: "/var/lib/fluent-bit" },
    ]);
  });

  it("runs Fluent Bit at system-node-critical, so a preempting serving pod never evicts the log shipper", () => {
    expect(fluentBit.priorityClassName).toBe("system-node-critical");
  });

  it("applies the ILM retention with a pinned curl image, ECK's credentials and CA, in a script sh accepts", () => {
    const job = ofType(result, "kubernetes:batch/v1:Job").find((r) => r.name === `llm-${stack}-log-retention-job`)!.inputs as Values;
    const pod = job.spec.template.spec;
    const [container] = pod.containers;
    expect(container.image).toBe(images.curl);
    expect(container.env[0].valueFrom.secretKeyRef).toEqual({ name: `${elasticsearch.metadata.name}-es-elastic-user`, key: "elastic" });
    expect(pod.volumes[0].secret.secretName).toBe(`${elasticsearch.metadata.name}-es-http-certs-public`);
    const script = container.command[2] as string;
    execFileSync("sh", ["-n", "-c", script]);
    const retentionDays = stack === "prod" ? 30 : 3;
    expect(script).toContain(`"delete":{"min_age":"${retentionDays}d"`);
    // The same retention for the node journal's data stream as for the container logs.
    for (const dataStream of ["logs-kubernetes-default", "logs-kubernetes.node-default"]) {
      expect(script).toContain(`/_index_template/${dataStream}'`);
      expect(script).toContain(`/_data_stream/${dataStream}'`);
      expect(script).toContain(`/${dataStream}/_settings' -H 'Content-Type: application/json' -d '{"index.lifecycle.name":"${ilmPolicyName}"}'`);
    }
    expect(script).toContain(`/_ilm/policy/${ilmPolicyName}`);
    expect(script).toContain("--cacert /certs/ca.crt");
    expect(script).not.toMatch(/--insecure|\s-k\s/);
  });

  it("passes the charts only values keys the pinned upstream charts have", () => {
    expect(unknownValueKeys(charts.fluentBit, fluentBit)).toEqual([]);
    expect(unknownValueKeys(charts.eckOperator, releasesOf(result, charts.eckOperator.chart)[0]!.inputs.values as Record<string, unknown>)).toEqual([]);
  });

  it("scrapes the ECK operator and Fluent Bit after the monitoring CRDs", () => {
    const crds = `llm-${stack}-prometheus-crds-release`;
    const operator = releasesOf(result, charts.eckOperator.chart)[0]!;
    expect(operator.inputs.values).toMatchObject({ podMonitor: { enabled: true }, config: { metrics: { port: "8080" } } });
    expect(dependsOnNames(result, operator)).toEqual([`llm-${stack}-eck-ns`, crds]);
    expect(fluentBit.serviceMonitor).toEqual({ enabled: true });
    expect(dependsOnNames(result, releasesOf(result, charts.fluentBit.chart)[0]!)).toContain(crds);
  });

  it("installs Fluent Bit after the Elasticsearch resource, whose credentials and CA secrets its pods mount", () => {
    expect(dependsOnNames(result, releasesOf(result, charts.fluentBit.chart)[0]!)).toEqual([
      `llm-${stack}-elasticsearch-cluster`, `llm-${stack}-elasticsearch-ns`, `llm-${stack}-prometheus-crds-release`,
    ]);
  });
});

/** The YAML pipeline a stack's Fluent Bit release runs. */
function fluentBitPipeline(result: SynthResult): { values: Values; config: Values } {
  const values = releasesOf(result, charts.fluentBit.chart)[0]!.inputs.values as Values;
  const file = /^--config=\/fluent-bit\/etc\/conf\/(.+)$/.exec(values.args.find((arg: string) => arg.startsWith("--config=")))![1]!;
  return { values, config: parse(values.config.extraFiles[file]) as Values };
}

describe.each([
  ["dev", "eks", ["kubelet.service", "containerd.service"]],
  ["gke-dev", "gke", ["kubelet.service", "containerd.service"]],
  ["k3s-lab", "k3s", ["k3s.service", "k3s-agent.service"]],
  ["local", "k3s (k3d)", ["k3s.service", "k3s-agent.service"]],
] as const)("the node journal in %s (%s)", (stack, _kind, units) => {
  let values: Values;
  let config: Values;
  let journal: Values;
  beforeAll(async () => {
    ({ values, config } = fluentBitPipeline(stacks[stack] ?? (await synthStack(stack))));
    journal = config.pipeline.inputs.find((input: Values) => input.name === "systemd");
  });

  it(`reads exactly the units that run the kubelet and the runtime there: ${units.join(", ")}`, () => {
    expect(journal.systemd_filter).toEqual(units.map((unit) => `_SYSTEMD_UNIT=${unit}`));
    expect(journal.systemd_filter_type).toBe("or");
  });

  it("cannot keep Fluent Bit (and so the container logs) from starting on a node without a journal", () => {
    // Fluent Bit 5.1 exits when a systemd input's path does not exist: the path is a volume of its own
    // that the kubelet creates when the host has no persistent journal.
    const mount = values.daemonSetVolumeMounts.find((m: Values) => m.mountPath === journal.path);
    expect(mount).toMatchObject({ readOnly: true });
    const volume = values.daemonSetVolumes.find((v: Values) => v.name === mount.name);
    expect(volume.hostPath).toEqual({ path: "/var/log/journal", type: "DirectoryOrCreate" });
    // Mounting /etc/machine-id (what a path-less input needs) fails the pod on k3d's nodes, which lack it.
    expect(JSON.stringify([values.daemonSetVolumes, values.extraVolumes])).not.toContain("machine-id");
    expect(config.pipeline.inputs.find((input: Values) => input.name === "tail")).toMatchObject({ path: "/var/log/containers/*.log" });
  });

  it("resumes from a cursor on the node after a restart, and starts at the end of the journal the first time", () => {
    expect(journal.db).toMatch(/^\/var\/lib\/fluent-bit\/[^/]+\.db$/);
    expect(journal.db).not.toBe(config.pipeline.inputs.find((input: Values) => input.name === "tail").db);
    expect(journal.read_from_tail).toBe("on");
    expect(journal.strip_underscores).toBe("on");
  });

  it("ships the journal to a data stream of its own, with the container logs' output settings", () => {
    expect(journal.tag).toBe("node.*");
    const outputs = config.pipeline.outputs as Values[];
    const node = outputs.find((output) => output.match === "node.*")!;
    const containers = outputs.find((output) => output.match === "kube.*")!;
    expect(node.index).toBe("logs-kubernetes.node-default");
    expect(containers.index).toBe("logs-kubernetes-default");
    expect({ ...node, match: undefined, index: undefined }).toEqual({ ...containers, match: undefined, index: undefined });
    // Kubernetes metadata and the CRI time fix apply to container logs only.
    for (const filter of config.pipeline.filters as Values[]) expect(filter.match).toBe("kube.*");
  });
});

describe("Fluent Bit rendered by the pinned chart", () => {
  const archive = join(repoRoot, "..", "..", "shared", "charts", `fluent-bit-${charts.fluentBit.version}.tgz`);
  it.skipIf(!existsSync(archive))("has the node-critical class and the journal volume, read-only where the systemd input reads", () => {
    const { values, config } = fluentBitPipeline(stacks.dev!);
    const run = helm(["template", "fluent-bit", archive, "--namespace", "logging"], values);
    expect(run.stderr).toBe("");
    const daemonSet = parseAllDocuments(run.stdout).map((doc) => doc.toJS() as Values).find((object) => object?.kind === "DaemonSet")!;
    const pod = daemonSet.spec.template.spec;
    expect(pod.priorityClassName).toBe("system-node-critical");
    const journalPath = config.pipeline.inputs.find((input: Values) => input.name === "systemd").path;
    const mount = pod.containers[0].volumeMounts.find((m: Values) => m.mountPath === journalPath);
    expect(mount.readOnly).toBe(true);
    expect(pod.volumes.find((v: Values) => v.name === mount.name).hostPath).toEqual({ path: "/var/log/journal", type: "DirectoryOrCreate" });
    expect(pod.volumes.map((v: Values) => v.hostPath?.path).filter(Boolean)).not.toContain("/etc/machine-id");
  });
});

describe("Fluent Bit on GKE", () => {
  it("admits its node-critical pods in logging with a quota for that class, which GKE requires, before the release", async () => {
    const gke = await synthStack("gke-dev");
    const quota = ofType(gke, "kubernetes:core/v1:ResourceQuota").find((r) => (r.inputs.metadata as Values).namespace === "logging")!;
    expect((quota.inputs as Values).spec.scopeSelector.matchExpressions).toEqual([
      { scopeName: "PriorityClass", operator: "In", values: ["system-node-critical"] },
    ]);
    expect(dependsOnNames(gke, releasesOf(gke, charts.fluentBit.chart)[0]!)).toContain(quota.name);
    expect(ofType(stacks.dev!, "kubernetes:core/v1:ResourceQuota").filter((r) => (r.inputs.metadata as Values).namespace === "logging")).toEqual([]);
  });
});

describe("the logging namespace's network policies", () => {
  const policies = (result: SynthResult) =>
    Object.fromEntries(
      ofType(result, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        .filter((r) => (r.inputs.metadata as Values).namespace === "logging")
        .map((r) => [(r.inputs.metadata as Values).name as string, r.inputs as Values]),
    ) as Record<string, Values>;
  /** The one ingress rule of a policy that lets only the ingress controller's pods in, on `port`. */
  const fromIngressController = (port: number) => [{
    from: [{
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" } },
    }],
    ports: [{ protocol: "TCP", port }],
  }];

  it("admit only the namespace itself, the ECK operator, the ingress controller to Kibana and Prometheus to Fluent Bit", () => {
    const dev = policies(stacks.dev!);
    expect(Object.keys(dev).sort()).toEqual([
      "acme-solver-from-ingress", "fluent-bit-from-prometheus", "from-eck-operator", "kibana-from-ingress", "same-namespace-only",
    ]);
    for (const policy of Object.values(dev)) expect(policy.metadata.namespace).toBe("logging");
    expect(dev["same-namespace-only"]!.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] });
    const kibana = dev["kibana-from-ingress"]!.spec;
    expect(kibana.podSelector).toEqual({ matchLabels: { "kibana.k8s.elastic.co/name": "kibana" } });
    expect(kibana.ingress).toEqual(fromIngressController(5601));
    expect(dev["fluent-bit-from-prometheus"]!.spec.ingress[0].from[0].namespaceSelector.matchLabels["kubernetes.io/metadata.name"]).toBe("monitoring");
  });

  it("let the ingress controller reach cert-manager's HTTP-01 solver, so Kibana's ACME certificate can issue", () => {
    const solver = policies(stacks.prod!)["acme-solver-from-ingress"]!.spec;
    expect(solver.podSelector).toEqual({ matchLabels: { "acme.cert-manager.io/http01-solver": "true" } });
    expect(solver.ingress).toEqual(fromIngressController(8089));
  });

  it("let nothing from Prometheus in when monitoring is off", () => {
    expect(Object.keys(policies(withoutMonitoring))).not.toContain("fluent-bit-from-prometheus");
  });
});

describe("logging without monitoring", () => {
  it("turns the operator's and Fluent Bit's monitors off and waits on no monitoring CRDs", () => {
    const operator = releasesOf(withoutMonitoring, charts.eckOperator.chart)[0]!;
    expect(operator.inputs.values).toMatchObject({ podMonitor: { enabled: false }, serviceMonitor: { enabled: false } });
    expect(dependsOnNames(withoutMonitoring, operator)).toEqual(["llm-local-eck-ns"]);
    const fluentBit = releasesOf(withoutMonitoring, charts.fluentBit.chart)[0]!;
    expect((fluentBit.inputs.values as Values).serviceMonitor).toEqual({ enabled: false });
    expect(dependsOnNames(withoutMonitoring, fluentBit)).toEqual(["llm-local-elasticsearch-cluster", "llm-local-elasticsearch-ns"]);
    expect(ofType(withoutMonitoring, "kubernetes:helm.sh/v3:Release").map((r) => r.inputs.chart)).not.toContain(charts.kubePrometheusStack.chart);
  });
});

describe.each(["dev", "prod", "local"])("add-on ordering in %s", (stack) => {
  it("lets a resource wait only on the CRD or webhook releases it uses, never on another add-on's workloads", () => {
    const result = stacks[stack]!;
    // Releases that install CRDs or webhooks other resources use.
    const providers = new Set(
      // ingress-nginx: its admission webhook validates every Ingress, so whatever creates one waits on it.
      ["prometheus-crds", "eck", "cert-manager", "ingress-nginx", "workflows", "argocd", "keda"].map((addon) => `llm-${stack}-${addon}-release`),
    );
    const workloads = result.resources.filter(
      (r) => (r.type === "kubernetes:helm.sh/v3:Release" && !providers.has(r.name)) || r.type.includes("k8s.elastic.co"),
    );
    expect(workloads.length).toBeGreaterThanOrEqual(4);
    const workloadUrns = new Set(workloads.map((r) => r.urn));
    // Fluent Bit's pods mount the credentials and CA secrets ECK creates for the Elasticsearch resource:
    // a real dependency, and the resource (not Elasticsearch being up) is all it waits for.
    const allowed = new Set([`llm-${stack}-fluent-bit-release -> llm-${stack}-elasticsearch-cluster`]);
    for (const resource of result.resources) {
      const waitsOn = resource.dependsOn.filter((urn) => workloadUrns.has(urn) && !allowed.has(`${resource.name} -> ${urn.split("::").pop()}`));
      expect(waitsOn, resource.name).toEqual([]);
    }
  });
});
