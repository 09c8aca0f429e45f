import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { beforeAll, describe, expect, it } from "vitest";
import type { SynthResource, SynthResult } from "../scripts/lib/synthesize";
import { dcgmExporterPriorityClass } from "../components/monitoring/dcgm-exporter";
import { kubePrometheusStackValues } from "../components/monitoring/kube-prometheus-stack";
import { charts } from "../components/versions";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { requireTool } from "../scripts/lib/tools";
import { unknownValueKeys } from "./support/chart-keys";
import { dependsOnNames, releasesOf } from "./support/dependencies";
import { parsePromql } from "./support/promql";
import { synthVariant, synthWithIngressNginx } from "./support/variant";
import { byName, ofType, repoRoot, synthStack } from "./support/synth";

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The models' base class types do not resolve under this project's CommonJS resolution; validate() is there at run time.
const validateRule = (spec: unknown) => () =>
  (new PrometheusRule(spec as ConstructorParameters<typeof PrometheusRule>[0]) as unknown as { validate(): void }).validate();

const valuesOf = (resource: SynthResource) => resource.inputs.values as Values;

const stacks: Record<string, SynthResult> = {};
let noIngress: SynthResult;
beforeAll(async () => {
  // dev and prod as on ingress-nginx (its Ingresses and webhook ordering); test/gateway.test.ts checks
  // the committed stacks, which are on the Gateway.
  for (const stack of ["dev", "prod"]) stacks[stack] = await synthWithIngressNginx(stack);
  stacks.local = await synthStack("local");
  noIngress = await synthVariant("local", (config) => {
    config.addons = { ...(config.addons as object), ingress: { enabled: false }, monitoring: { enabled: true } };
  });
});

describe.each(["dev", "prod"])("monitoring in %s", (stack) => {
  let result: SynthResult;
  let values: Values;
  beforeAll(() => {
    result = stacks[stack]!;
    [values] = releasesOf(result, charts.kubePrometheusStack.chart).map(valuesOf);
  });

  it("installs kube-prometheus-stack at the pinned version, after the operator CRDs and the ingress controller only, without its own CRDs", () => {
    const [release] = releasesOf(result, charts.kubePrometheusStack.chart);
    expect(release!.inputs.version).toBe(charts.kubePrometheusStack.version);
    expect(release!.inputs.namespace).toBe("monitoring");
    expect(values.crds).toEqual({ enabled: false });
    // The ingress controller: its admission webhook must answer before Grafana's Ingress is created.
    expect(dependsOnNames(result, release!)).toEqual([
      `llm-${stack}-ingress-nginx-release`, `llm-${stack}-monitoring-grafana-admin`, `llm-${stack}-monitoring-ns`, `llm-${stack}-prometheus-crds-release`,
    ]);
    expect(result.outputs.prometheusUrl).toBe("http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
    expect(values.fullnameOverride).toBe("kube-prometheus-stack");
  });

  it("keeps Prometheus data for the configured days on a persistent volume of the cluster's storage class", () => {
    const spec = values.prometheus.prometheusSpec;
    const expected = stack === "prod" ? { days: 30, gib: 200 } : { days: 15, gib: 50 };
    expect(spec.retention).toBe(`${expected.days}d`);
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
      storageClassName: "gp3",
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: `${expected.gib}Gi` } },
    });
    expect(values.alertmanager.enabled).toBe(true);
    expect(values.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage).toBe("5Gi");
  });

  it("picks up ServiceMonitors, PodMonitors and rules from every namespace, not only the release's own", () => {
    const spec = values.prometheus.prometheusSpec;
    for (const kind of ["serviceMonitor", "podMonitor", "rule"]) {
      expect(spec[`${kind}SelectorNilUsesHelmValues`], kind).toBe(false);
      expect(spec[`${kind}Selector`], kind).toEqual({});
      expect(spec[`${kind}NamespaceSelector`], kind).toEqual({});
    }
  });

  it("gives Grafana a generated admin password through a Secret, and outputs it only as a secret", () => {
    const secret = byName(result, `llm-${stack}-monitoring-grafana-admin`);
    expect(secret.type).toBe("kubernetes:core/v1:Secret");
    expect(secret.inputs.stringData).toBe("[secret]");
    expect(values.grafana.admin.existingSecret).toBe((secret.inputs.metadata as Values).name);
    expect(values.grafana.adminPassword).toBeUndefined();
    expect(ofType(result, "random:index/randomPassword:RandomPassword").map((r) => r.name)).toContain(`llm-${stack}-monitoring-grafana-admin`);
    expect(result.outputs.grafanaAdminPassword).toBe("[secret]");
  });

  it("serves Grafana through the ingress with TLS from the stack's issuer", () => {
    const domain = stack === "prod" ? "llm.example.com" : "dev.llm.example.com";
    const issuer = stack === "prod" ? "llm-platform-letsencrypt" : "llm-platform-private-ca";
    const ingress = values.grafana.ingress;
    expect(ingress).toMatchObject({ enabled: true, ingressClassName: "nginx", hosts: [`grafana.${domain}`] });
    expect(ingress.annotations["cert-manager.io/cluster-issuer"]).toBe(issuer);
    expect(ingress.tls).toEqual([{ secretName: "grafana-tls", hosts: [`grafana.${domain}`] }]);
    expect(result.outputs.grafanaUrl).toBe(`https://grafana.${domain}`);
  });

  it("runs a DCGM exporter per GPU pool, on that pool's nodes, scraped through its ServiceMonitor after the CRDs", () => {
    const pool = stack === "prod" ? "l40s" : "l4";
    const releases = releasesOf(result, charts.dcgmExporter.chart);
    expect(releases.map((r) => r.name)).toEqual([`llm-${stack}-dcgm-${pool}`]);
    const dcgm = valuesOf(releases[0]!);
    expect(dcgm.nodeSelector).toEqual({ "llm-platform.io/gpu-pool": pool });
    // EKS GPU pools: their taint, and no RuntimeClass.
    expect(dcgm.tolerations).toEqual([{ key: "nvidia.com/gpu", operator: "Equal", value: "present", effect: "NoSchedule" }]);
    expect(dcgm.runtimeClassName).toBeUndefined();
    expect(dcgm.serviceMonitor).toEqual({ enabled: true, honorLabels: true });
    expect(dependsOnNames(result, releases[0]!)).toEqual([`llm-${stack}-monitoring-ns`, `llm-${stack}-prometheus-crds-release`]);
  });

  it("provisions the LLM dashboard as a ConfigMap the Grafana sidecar loads", () => {
    const configMap = byName(result, `llm-${stack}-llm-dashboard-configmap`);
    const metadata = configMap.inputs.metadata as Values;
    expect(metadata.labels).toEqual({ [values.grafana.sidecar.dashboards.label]: values.grafana.sidecar.dashboards.labelValue });
    const dashboard = JSON.parse((configMap.inputs.data as Record<string, string>)["llm-serving.json"]!);
    expect(dashboard.uid).toBe("llm-serving");
    expect(dependsOnNames(result, configMap)).toEqual([`llm-${stack}-monitoring-ns`]);
  });

  it("creates the PrometheusRule after the CRDs only; it validates against the operator's schema and every expression parses", () => {
    const rule = byName(result, `llm-${stack}-llm-alerts-rule`);
    expect(dependsOnNames(result, rule)).toEqual([`llm-${stack}-monitoring-ns`, `llm-${stack}-prometheus-crds-release`]);
    expect(validateRule(rule.inputs)).not.toThrow();
    const exprs = (rule.inputs.spec as Values).groups.flatMap((group: Values) => group.rules.map((r: Values) => r.expr as string));
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) expect(parsePromql(expr).errors, expr).toEqual([]);
  });

  it("passes the chart only values keys the pinned upstream charts have", () => {
    for (const pin of [charts.kubePrometheusStack, charts.dcgmExporter]) {
      for (const release of releasesOf(result, pin.chart)) expect(unknownValueKeys(pin, valuesOf(release)), release.name).toEqual([]);
    }
  });
});

describe("node-exporter's priority", () => {
  it("is system-node-critical in every stack, so a preempting serving pod never evicts node metrics", () => {
    for (const stack of ["dev", "prod", "local"]) {
      const [values] = releasesOf(stacks[stack]!, charts.kubePrometheusStack.chart).map(valuesOf);
      expect(values!["prometheus-node-exporter"].priorityClassName, stack).toBe("system-node-critical");
    }
    expect(unknownValueKeys(charts.kubePrometheusStack, { "prometheus-node-exporter": { priorityClassName: "x" } })).toEqual([]);
  });

  it("comes with the quota GKE needs for that class in monitoring, which the release waits for", async () => {
    const gke = await synthStack("gke-dev");
    const quota = byName(gke, "llm-gke-dev-monitoring-critical-pods");
    expect((quota.inputs as Values).metadata.namespace).toBe("monitoring");
    expect((quota.inputs as Values).spec.scopeSelector.matchExpressions).toEqual([
      { scopeName: "PriorityClass", operator: "In", values: ["system-node-critical"] },
    ]);
    expect(dependsOnNames(gke, releasesOf(gke, charts.kubePrometheusStack.chart)[0]!)).toContain(quota.name);
  });

  // kube-prometheus-stack bundles this subchart byte for byte (test/fixtures/chart-values/NOTES.md).
  const archive = join(repoRoot, "..", "..", "shared", "charts", "prometheus-node-exporter-4.56.1.tgz");
  it.skipIf(!existsSync(archive))("renders into the DaemonSet with the pinned subchart", () => {
    const [values] = releasesOf(stacks.dev!, charts.kubePrometheusStack.chart).map(valuesOf);
    const dir = mkdtempSync(join(tmpdir(), "node-exporter-"));
    writeFileSync(join(dir, "values.json"), JSON.stringify(values!["prometheus-node-exporter"]));
    const rendered = execFileSync(requireTool("helm"), ["template", "kps", archive, "--namespace", "monitoring", "-f", join(dir, "values.json")], { encoding: "utf8" });
    const daemonSet = parseAllDocuments(rendered).map((doc) => doc.toJS() as Values).find((object) => object?.kind === "DaemonSet")!;
    expect(daemonSet.spec.template.spec.priorityClassName).toBe("system-node-critical");
  });
});

describe.each(["dev", "prod", "local"])("control-plane targets in %s", (stack) => {
  it("neither scrapes nor alerts on the controller manager, scheduler, etcd or kube-proxy, which EKS, GKE and k3s do not expose", () => {
    const [values] = releasesOf(stacks[stack]!, charts.kubePrometheusStack.chart).map(valuesOf);
    for (const component of ["kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"]) {
      expect(values![component], component).toEqual({ enabled: false });
    }
    // Off explicitly, so no chart version that ignores the scrape switch can bring KubeSchedulerDown & co. back.
    expect(values!.defaultRules.rules).toEqual({
      kubeControllerManager: false, kubeSchedulerAlerting: false, kubeSchedulerRecording: false, etcd: false, kubeProxy: false,
    });
    expect(unknownValueKeys(charts.kubePrometheusStack, values!)).toEqual([]);
  });
});

describe("the PrometheusRule schema check", () => {
  it("rejects a rule group without a name and a rule without an expression", () => {
    expect(validateRule({ metadata: { name: "x" }, spec: { groups: [{ rules: [{ alert: "A" }] }] } })).toThrow();
  });
});

describe("the chart key check", () => {
  it("rejects keys the chart does not have, and accepts keys under free-form maps", () => {
    expect(unknownValueKeys(charts.kubePrometheusStack, { grafana: { adminPasswrd: "x" }, prometheus: { prometheusSpec: { storageSpec: { anything: 1 } } } }))
      .toEqual(["grafana.adminPasswrd"]);
  });
});

describe("alert notifications", () => {
  const base = {
    fullname: "kube-prometheus-stack", storageClassName: "standard", retentionDays: 15,
    prometheusStorageGiB: 50, alertmanagerStorageGiB: 5,
  };

  it("route every alert to the notify webhook, read from a mounted Secret rather than the values", () => {
    const values = kubePrometheusStackValues(base, "grafana-admin", true);
    const alertmanager = values.alertmanager as Values;
    expect(alertmanager.config.route.receiver).toBe("notify");
    expect(alertmanager.config.receivers.map((r: Values) => r.name)).toEqual(["null", "notify"]);
    expect(alertmanager.alertmanagerSpec.secrets).toEqual(["alertmanager-notify"]);
    expect(alertmanager.config.receivers[1].slack_configs[0].api_url_file).toBe("/etc/alertmanager/secrets/alertmanager-notify/url");
    expect(unknownValueKeys(charts.kubePrometheusStack, values)).toEqual([]);
  });

  it("leave the chart's default Alertmanager routing alone without a webhook", () => {
    const alertmanager = kubePrometheusStackValues(base, "grafana-admin", false).alertmanager as Values;
    expect(alertmanager.config).toBeUndefined();
    expect(alertmanager.alertmanagerSpec.secrets).toBeUndefined();
  });
});

describe("monitoring without GPU pools or ingress", () => {
  it("skips the DCGM exporter when the cluster has no GPU pools", () => {
    expect(releasesOf(stacks.local!, charts.dcgmExporter.chart)).toEqual([]);
  });

  it("gives Grafana no Ingress and outputs no URL when the ingress is off", () => {
    const [values] = releasesOf(noIngress, charts.kubePrometheusStack.chart).map(valuesOf);
    expect(values!.grafana.ingress).toBeUndefined();
    expect(dependsOnNames(noIngress, releasesOf(noIngress, charts.kubePrometheusStack.chart)[0]!)).not.toContain("llm-local-ingress-nginx-release");
    expect(noIngress.outputs.grafanaUrl).toBeNull();
    expect(noIngress.outputs.grafanaAdminPassword).toBe("[secret]");
  });
});

describe("GPU metrics on GKE's Container-Optimized OS", () => {
  let gke: SynthResult;
  let gkeValues: Values;
  beforeAll(async () => {
    gke = await synthStack("gke-dev");
    gkeValues = valuesOf(releasesOf(gke, charts.dcgmExporter.chart)[0]!);
  });

  it("admit the exporter's node-critical pods in monitoring, which GKE refuses without a quota for that class", () => {
    // GKE rations system-node-critical by ResourceQuota and ships one only in kube-system.
    const priority = gkeValues.priorityClassName ?? dcgmExporterPriorityClass;
    const quotas = ofType(gke, "kubernetes:core/v1:ResourceQuota").filter((r) => r.name.startsWith("llm-gke-dev-dcgm-"));
    expect(quotas).toHaveLength(1);
    const quota = quotas[0]!.inputs as Values;
    expect(quota.metadata.namespace).toBe("monitoring");
    expect(quota.spec.scopeSelector.matchExpressions).toEqual([{ scopeName: "PriorityClass", operator: "In", values: [priority] }]);
    for (const release of releasesOf(gke, charts.dcgmExporter.chart)) expect(dependsOnNames(gke, release)).toContain(quotas[0]!.name);
    expect(ofType(stacks.dev!, "kubernetes:core/v1:ResourceQuota")).toEqual([]);
  });

  it("mount the host's NVIDIA driver into the DCGM exporter and point the loader at it; EKS gets nothing extra", () => {
    expect(unknownValueKeys(charts.dcgmExporter, gkeValues)).toEqual([]);
    expect(gkeValues.extraHostVolumes).toEqual([{ name: "nvidia-driver", hostPath: "/home/kubernetes/bin/nvidia" }]);
    expect(gkeValues.extraVolumeMounts).toContainEqual({ name: "nvidia-driver", mountPath: "/usr/local/nvidia", readOnly: true });
    expect(gkeValues.extraEnv).toEqual([{ name: "LD_LIBRARY_PATH", value: "/usr/local/nvidia/lib64" }]);
    // EKS: the NVIDIA container runtime injects the driver, so the chart's defaults stay.
    const eks = valuesOf(releasesOf(stacks.dev!, charts.dcgmExporter.chart)[0]!);
    expect(eks.extraHostVolumes).toBeUndefined();
    expect(eks.extraEnv).toBeUndefined();
  });

  // The pinned chart archive, where the machine has the chart mirror (see REFERENCE: ../shared/charts).
  const archive = join(repoRoot, "..", "..", "shared", "charts", `dcgm-exporter-${charts.dcgmExporter.version}.tgz`);
  it.skipIf(!existsSync(archive))("render, with the pinned chart, a DaemonSet that has the driver and still its counters file", () => {
    const dir = mkdtempSync(join(tmpdir(), "dcgm-"));
    writeFileSync(join(dir, "values.json"), JSON.stringify(gkeValues));
    const rendered = execFileSync(requireTool("helm"), ["template", "dcgm", archive, "--namespace", "monitoring", "-f", join(dir, "values.json")], { encoding: "utf8" });
    const daemonSet = parseAllDocuments(rendered).map((doc) => doc.toJS() as Values).find((object) => object?.kind === "DaemonSet")!;
    const pod = daemonSet.spec.template.spec;
    const volume = pod.volumes.find((v: Values) => v.hostPath?.path === "/home/kubernetes/bin/nvidia");
    const [container] = pod.containers;
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ name: volume.name, mountPath: "/usr/local/nvidia" }));
    expect(container.volumeMounts).toContainEqual(expect.objectContaining({ mountPath: "/etc/dcgm-exporter/default-counters.csv" }));
    expect(container.env).toContainEqual({ name: "LD_LIBRARY_PATH", value: "/usr/local/nvidia/lib64" });
  });

  it.skipIf(!existsSync(archive))("run the exporter privileged there, as NVML needs the /dev/nvidia* nodes COS gives only to GPU requests, in a pod the API server accepts", () => {
    const render = (values: Values) => {
      const dir = mkdtempSync(join(tmpdir(), "dcgm-"));
      writeFileSync(join(dir, "values.json"), JSON.stringify(values));
      const rendered = execFileSync(requireTool("helm"), ["template", "dcgm", archive, "--namespace", "monitoring", "-f", join(dir, "values.json")], { encoding: "utf8" });
      const daemonSet = parseAllDocuments(rendered).map((doc) => doc.toJS() as Values).find((object) => object?.kind === "DaemonSet")!;
      return daemonSet.spec.template.spec as Values;
    };
    const pod = render(gkeValues);
    // The class the quota above admits is the one the chart renders.
    expect(pod.priorityClassName).toBe(dcgmExporterPriorityClass);
    const gke = pod.containers[0].securityContext as Values;
    expect(gke.privileged).toBe(true);
    // The API server rejects privileged: true with allowPrivilegeEscalation: false (the chart's default).
    expect(gke.allowPrivilegeEscalation).not.toBe(false);
    // EKS: the NVIDIA runtime hands the exporter its devices; the chart's unprivileged default stays.
    const eks = render(valuesOf(releasesOf(stacks.dev!, charts.dcgmExporter.chart)[0]!)).containers[0].securityContext as Values;
    expect(eks.privileged).toBeUndefined();
    expect(eks.allowPrivilegeEscalation).toBe(false);
  });
});
