import * as pulumi from "@pulumi/pulumi";
import type { PlatformCluster, Toleration } from "../components/cluster/types";
import type { IngressLayer } from "../components/ingress/types";
import { EckOperator } from "../components/logging/eck-operator";
import { Elasticsearch, eckNames, logWriter } from "../components/logging/elasticsearch";
import { FluentBit, nodeServiceUnits } from "../components/logging/fluent-bit";
import { Kibana } from "../components/logging/kibana";
import { indexTemplate, LogRetention } from "../components/logging/log-retention";
import { LoggingNetworkPolicies } from "../components/logging/network-policies";
import type { MonitoringLayer } from "../components/monitoring/types";
import type { LoadedConfig } from "./config";

/** Names the logging stack fixes. */
export const loggingConventions = {
  operatorNamespace: "elastic-system",
  /** Elasticsearch, Kibana and Fluent Bit share it: pods can only read secrets of their own namespace. */
  namespace: "logging",
  elasticsearchName: "logs",
  kibanaName: "kibana",
  dataStream: "logs-kubernetes-default",
  /** The nodes' kubelet and container runtime, from the journal. */
  nodeDataStream: "logs-kubernetes.node-default",
} as const;

/** Every distinct toleration of the GPU pools; pure. */
export function gpuTolerations(cluster: Pick<PlatformCluster, "gpuPools">): Toleration[] {
  const seen = new Map<string, Toleration>();
  for (const toleration of cluster.gpuPools.flatMap((pool) => pool.scheduling.tolerations)) {
    seen.set(JSON.stringify(toleration), toleration);
  }
  return [...seen.values()];
}

/**
 * EFK: the ECK operator, Elasticsearch and Kibana (both wait only on the operator), Fluent Bit on every
 * node (after the Elasticsearch resource, whose secrets it mounts), and the ILM retention Job. Returns the stack outputs, or none when logging is off.
 */
export function createLogging(
  name: string,
  config: LoadedConfig,
  cluster: PlatformCluster,
  monitoring: MonitoringLayer | undefined,
  ingress: IngressLayer | undefined,
  opts: pulumi.ComponentResourceOptions,
): Record<string, pulumi.Output<unknown>> {
  const settings = config.addons.logging;
  if (!settings.enabled) return {};
  const conventions = loggingConventions;
  const operator = new EckOperator(
    `${name}-eck`,
    { provider: cluster.provider, namespace: conventions.operatorNamespace, monitoringCrds: monitoring?.crds },
    opts,
  );
  const elasticsearch = new Elasticsearch(
    `${name}-elasticsearch`,
    {
      provider: cluster.provider,
      namespace: conventions.namespace,
      clusterName: conventions.elasticsearchName,
      operator: operator.release,
      nodes: settings.elasticsearchNodes,
      storageGiB: settings.elasticsearchStorageGiB,
      storageClassName: cluster.storageClassName,
      heapGiB: settings.elasticsearchHeapGiB,
      // Exactly what the index templates (and so the retention policy) cover.
      logDataStreams: [conventions.dataStream, conventions.nodeDataStream].map((stream) => indexTemplate(stream).index_patterns[0]!),
    },
    opts,
  );
  const namespace = elasticsearch.namespace.metadata.name;
  const names = eckNames(conventions.elasticsearchName);
  const kibana = new Kibana(
    `${name}-kibana`,
    {
      provider: cluster.provider,
      namespace,
      kibanaName: conventions.kibanaName,
      elasticsearchName: conventions.elasticsearchName,
      operator: operator.release,
      ingress,
    },
    opts,
  );
  new FluentBit(
    `${name}-fluent-bit`,
    {
      provider: cluster.provider,
      namespace,
      elasticsearch: elasticsearch.cluster,
      elasticsearchHost: `${names.httpService}.${conventions.namespace}.svc`,
      writer: { secretName: logWriter.userSecret(conventions.elasticsearchName), username: logWriter.username },
      caSecret: names.httpCaSecret,
      dataStream: conventions.dataStream,
      nodeLogs: { units: nodeServiceUnits[config.cluster.provider], dataStream: conventions.nodeDataStream },
      tolerations: gpuTolerations(cluster),
      monitoringCrds: monitoring?.crds,
      // GKE admits node-critical pods outside kube-system only under a quota for them.
      criticalPodsNeedQuota: config.cluster.provider === "gke",
    },
    opts,
  );
  new LogRetention(
    `${name}-log-retention`,
    {
      provider: cluster.provider,
      namespace: { name: conventions.namespace, resource: elasticsearch.namespace },
      elasticsearchUrl: `https://${names.httpService}.${conventions.namespace}.svc:9200`,
      credentialsSecret: names.elasticUserSecret,
      caSecret: names.httpCaSecret,
      dataStreams: [conventions.dataStream, conventions.nodeDataStream],
      retentionDays: settings.retentionDays,
    },
    opts,
  );
  new LoggingNetworkPolicies(
    `${name}-logging-netpol`,
    {
      provider: cluster.provider,
      namespace,
      operatorNamespace: conventions.operatorNamespace,
      kibanaName: conventions.kibanaName,
      ingressController: ingress && { namespace: ingress.controllerNamespace, podLabels: ingress.controllerPodLabels },
      prometheus: monitoring && { namespace: monitoring.prometheusNamespace, podLabels: monitoring.prometheusPodLabels },
    },
    opts,
  );
  return { kibanaUrl: pulumi.output(kibana.url ?? null) };
}
