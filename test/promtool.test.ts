import { beforeAll, describe, expect, it } from "vitest";
import { llmAlertRuleGroups, type LlmSlo, type ServedModels } from "../components/monitoring/llm-alert-rules";
import { vllmOnly, type ServingSources } from "../components/monitoring/metric-names";
import { PromtoolBatch, promtool } from "./support/promtool";

const slo: LlmSlo = { availability: 0.995, ttftSeconds: 2.5, ttftTarget: 0.95, queueSaturation: 25, gpuMemoryPressure: 0.95 };
const model = 'model_name="qwen-small",namespace="serving",pod="qwen-small-0"';
const gpu = 'gpu="0",Hostname="node-1",namespace="serving",pod="qwen-small-0"';

/** Counter series growing by `perMinute` each 1m sample for `minutes` minutes. */
const counter = (series: string, perMinute: number, minutes: number) => ({ series, values: `0+${perMinute}x${minutes}` });
const gauge = (series: string, value: number, minutes: number) => ({ series, values: `${value}x${minutes}` });

const alertsAt = (evalTime: string, alertname: string, exp_alerts: unknown[]) => ({ eval_time: evalTime, alertname, exp_alerts });

/** A vLLM model behind a scraped front door, as the cloud stacks serve. */
const vllmBehindFrontDoor: ServingSources = { vllm: true, llamacpp: [], frontDoor: { implementation: "ingress-nginx", namespace: "llm-serving" } };

/**
 * Every scenario below is registered while the file is collected (each in a block of its own, with
 * its series), and runs in one promtool batch; each test reads its scenario's verdict.
 */
const batch = new PromtoolBatch("alerts");

/** A promtool scenario for the alert rules of the given sources, models and versions: its verdict's reader. */
const scenario = (tests: unknown[], sources: ServingSources = vllmBehindFrontDoor, names: readonly string[] = ["qwen-small"], versions?: ServedModels["versions"]) =>
  batch.add({ groups: llmAlertRuleGroups(slo, { namespace: "llm-serving", names, ...(versions ? { versions } : {}) }, sources) }, tests);

describe.skipIf(!promtool)("the alert rules in Prometheus's rule engine (promtool)", () => {
  beforeAll(() => batch.run());

  /**
   * The front door's response counter for the model's Ingress, with `status`, as Prometheus stores it:
   * the controller's own namespace wins, the Ingress's becomes exported_namespace.
   */
  const frontDoor = (status: string) =>
    `nginx_ingress_controller_requests{exported_namespace="llm-serving",ingress="qwen-small",service="qwen-small",status="${status}",namespace="ingress-nginx",pod="controller-0"}`;
  /**
   * The same answers at the Envoy proxies, as Prometheus stores their route cluster's counter (by class
   * only: each status gets its own proxy pod here, so that the series stay distinct).
   */
  const envoyFrontDoor = (status: string) =>
    `envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/llm-serving/qwen-small/rule/0",envoy_response_code_class="${status[0]}",namespace="envoy-gateway-system",pod="envoy-${status}"}`;
  const page = [{
    exp_labels: { severity: "critical", slo: "llm:request_error_ratio", model_name: "qwen-small" },
    exp_annotations: {
      summary: "Availability for model qwen-small is burning its error budget too fast.",
      description: "Objective 0.995; windows 14.4x over 1h/5m, 6x over 6h/30m.",
    },
  }];

  /** A stack like local: one llama.cpp model behind the front door, no vLLM. */
  const cpuOnly: ServingSources = { vllm: false, llamacpp: ["qwen-small"], frontDoor: { implementation: "ingress-nginx", namespace: "llm-serving" } };

  const behindEnvoy = (sources: ServingSources): ServingSources => ({ ...sources, frontDoor: { implementation: "envoy-gateway", namespace: "llm-serving" } });

  {
    const availabilityScenario = ({ sources, frontDoor }: { sources: ServingSources; frontDoor: (status: string) => string }) => {
      const burning = {
        interval: "1m",
        input_series: [counter(frontDoor("200"), 90, 120), counter(frontDoor("500"), 5, 120), counter(frontDoor("503"), 5, 120)],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", page)],
      };
      const healthy = {
        interval: "1m",
        input_series: [
          counter(frontDoor("200"), 998, 120),
          counter(frontDoor("502"), 2, 120),
          counter(frontDoor("499"), 300, 120),
          counter(frontDoor("401"), 50, 120),
        ],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("90m", "LlmAvailabilityBudgetSlowBurn", [])],
      };
      return scenario([burning, healthy], sources);
    };
    it.each(
      [
        { engine: "a vLLM model", sources: vllmBehindFrontDoor, frontDoor },
        { engine: "a llama.cpp model (as the local stack serves)", sources: cpuOnly, frontDoor },
        { engine: "a vLLM model behind Envoy Gateway", sources: behindEnvoy(vllmBehindFrontDoor), frontDoor: envoyFrontDoor },
        { engine: "a llama.cpp model behind Envoy Gateway", sources: behindEnvoy(cpuOnly), frontDoor: envoyFrontDoor },
      ].map((testCase) => ({ ...testCase, verdict: availabilityScenario(testCase) })),
    )("pages when one response in ten of $engine fails within the hour; quiet at one in 500, on client aborts and on 4xx", ({ verdict }) => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  {
    const outageScenario = ({ sources, frontDoor }: { sources: ServingSources; frontDoor: (status: string) => string }) => {
      const outage = {
        interval: "1m",
        input_series: [
          // Served fine for an hour, then nothing but 503 (no endpoints); vLLM exports no series at all.
          { series: frontDoor("200"), values: "0+60x60 3600+0x60" },
          { series: frontDoor("503"), values: "0+0x60 0+60x60" },
          { series: 'kube_deployment_status_replicas_available{namespace="llm-serving",deployment="qwen-small"}', values: "1x60 0x60" },
          { series: 'kube_deployment_spec_replicas{namespace="llm-serving",deployment="qwen-small"}', values: "1x120" },
        ],
        alert_rule_test: [
          alertsAt("75m", "LlmAvailabilityBudgetFastBurn", page),
          alertsAt("70m", "LlmModelDown", [{
            exp_labels: { severity: "critical", model_name: "qwen-small", namespace: "llm-serving", deployment: "qwen-small" },
            exp_annotations: {
              summary: "Model qwen-small has no available replica.",
              description: "Its Deployment has had 0 available replicas for 5 minutes, outside a rollout within its progress deadline: every request fails.",
            },
          }]),
          alertsAt("30m", "LlmModelDown", []),
          alertsAt("30m", "LlmModelMissing", []),
        ],
      };
      const missing = {
        interval: "1m",
        input_series: [{ series: 'kube_deployment_status_replicas_available{namespace="llm-serving",deployment="other"}', values: "1x30" }],
        alert_rule_test: [alertsAt("20m", "LlmModelMissing", [{
          exp_labels: { severity: "critical", model_name: "qwen-small", namespace: "llm-serving", deployment: "qwen-small" },
          exp_annotations: {
            summary: "Model qwen-small has no Deployment in llm-serving.",
            description: "The stack serves it, but kube-state-metrics has not seen its Deployment for 10 minutes.",
          },
        }])],
      };
      return scenario([outage, missing], sources);
    };
    it.each(
      [
        { door: "ingress-nginx", sources: vllmBehindFrontDoor, frontDoor },
        { door: "Envoy Gateway", sources: behindEnvoy(vllmBehindFrontDoor), frontDoor: envoyFrontDoor },
      ].map((testCase) => ({ ...testCase, verdict: outageScenario(testCase) })),
    )("page on an outage the engine never sees: every replica down, $door answering 503", ({ verdict }) => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  describe("LlmModelDown and a one-replica model's rollout (maxSurge 0: no replica while the new pod loads)", () => {
    const deployment = 'namespace="llm-serving",deployment="qwen-small"';
    const available = (values: string) => ({ series: `kube_deployment_status_replicas_available{${deployment}}`, values });
    const desired = { series: `kube_deployment_spec_replicas{${deployment}}`, values: "1x89" };
    /** kube-state-metrics' status="true" series of the Progressing condition with this reason (1 when the condition is true). */
    const progressing = (reason: string, values: string) => ({
      series: `kube_deployment_status_condition{${deployment},condition="Progressing",status="true",reason="${reason}"}`,
      values,
    });
    const down = [{
      exp_labels: { severity: "critical", model_name: "qwen-small", namespace: "llm-serving", deployment: "qwen-small" },
      exp_annotations: {
        summary: "Model qwen-small has no available replica.",
        description: "Its Deployment has had 0 available replicas for 5 minutes, outside a rollout within its progress deadline: every request fails.",
      },
    }];

    {
      const rollout = {
        interval: "1m",
        input_series: [
          // Minutes 30 to 44 without a replica; kube-state-metrics drops a reason's series when it changes.
          available("1x29 0x14 1x44"),
          desired,
          progressing("NewReplicaSetAvailable", "1x29 stale _x14 1x44"),
          progressing("ReplicaSetUpdated", "_x30 1x14 stale"),
        ],
        alert_rule_test: [alertsAt("38m", "LlmModelDown", []), alertsAt("44m", "LlmModelDown", []), alertsAt("60m", "LlmModelDown", [])],
      };
      const verdict = scenario([rollout]);
      it("stays quiet through a rollout whose new pod takes 15 minutes to load", () => {
        expect(verdict()).toMatch(/SUCCESS/);
      });
    }

    {
      // 20 minutes of rollout (progressDeadlineSeconds), then ProgressDeadlineExceeded: status false.
      const stuck = {
        interval: "1m",
        input_series: [
          available("1x29 0x60"),
          desired,
          progressing("NewReplicaSetCreated", "_x30 1x19 stale"),
          progressing("ProgressDeadlineExceeded", "_x50 0x39"),
        ],
        alert_rule_test: [alertsAt("50m", "LlmModelDown", []), alertsAt("62m", "LlmModelDown", down)],
      };
      // Rolled out long ago; the pod then crashes: the condition keeps its completed reason.
      const crash = {
        interval: "1m",
        input_series: [available("1x29 0x60"), desired, progressing("NewReplicaSetAvailable", "1x89")],
        alert_rule_test: [alertsAt("33m", "LlmModelDown", []), alertsAt("37m", "LlmModelDown", down)],
      };
      const verdict = scenario([stuck, crash]);
      it("pages when the rollout overruns its progress deadline, and when the model goes down after a completed rollout", () => {
        expect(verdict()).toMatch(/SUCCESS/);
      });
    }
  });

  describe("through the one LLM API (https://api.<domain>, an AIGatewayRoute with a rule per model)", () => {
    const models = ["llama-big", "qwen-small"];
    /** As the committed Gateway stacks serve: models only through the LLM API, no host of their own. */
    const apiOnly: ServingSources = {
      vllm: true,
      llamacpp: [],
      frontDoor: { implementation: "envoy-gateway", namespace: "llm-serving", modelRoutes: false, llmApiRoute: { name: "llm-api", models } },
    };
    /**
     * The answers of the AI gateway's HTTPRoute (named after the AIGatewayRoute) for rule `rule`, by
     * class, as Prometheus stores Envoy's per-cluster counter.
     */
    const apiRule = (rule: number, status: string) =>
      `envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/llm-serving/llm-api/rule/${rule}",envoy_response_code_class="${status[0]}",namespace="envoy-gateway-system",pod="envoy-${status}"}`;
    const pageFor = (model: string) => [{ ...page[0]!, exp_labels: { ...page[0]!.exp_labels, model_name: model }, exp_annotations: { ...page[0]!.exp_annotations, summary: `Availability for model ${model} is burning its error budget too fast.` } }];

    {
      const burning = {
        interval: "1m",
        input_series: [
          counter(apiRule(0, "200"), 100, 120),
          counter(apiRule(1, "200"), 90, 120),
          counter(apiRule(1, "503"), 10, 120),
          // A budget spent is answered by the gateway: a response, but not a failure of the model.
          counter(apiRule(1, "429"), 10, 120),
        ],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", pageFor("qwen-small"))],
      };
      const healthy = {
        interval: "1m",
        input_series: [
          counter(apiRule(0, "200"), 100, 120),
          counter(apiRule(1, "200"), 998, 120),
          counter(apiRule(1, "502"), 2, 120),
          counter(apiRule(1, "401"), 300, 120),
        ],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("90m", "LlmAvailabilityBudgetSlowBurn", [])],
      };
      // One failed request in a dozen: the ratio alone is above the page threshold, the volume guard holds it.
      const fewRequests = {
        interval: "1m",
        input_series: [{ series: apiRule(1, "200"), values: "0+0.2x120" }, { series: apiRule(1, "500"), values: "0+0x54 1+0x65" }],
        alert_rule_test: [alertsAt("60m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("60m", "LlmAvailabilityBudgetSlowBurn", [])],
        promql_expr_test: [{ expr: 'count(llm:request_error_ratio:rate1h{model_name="qwen-small"} > 0.072)', eval_time: "60m", exp_samples: [{ labels: "{}", value: 1 }] }],
      };
      const verdict = scenario([burning, healthy, fewRequests], apiOnly, models);
      it("pages for the model whose rule fails (rule 1 is qwen-small), and only for it; quiet at 0.2% and below the volume guard", () => {
        expect(verdict()).toMatch(/SUCCESS/);
      });
    }

    {
      const both: ServingSources = { ...apiOnly, frontDoor: { ...apiOnly.frontDoor!, modelRoutes: true } };
      const ownHost = (status: string) =>
        `envoy_cluster_upstream_rq_xx{envoy_cluster_name="httproute/llm-serving/qwen-small/rule/0",envoy_response_code_class="${status[0]}",namespace="envoy-gateway-system",pod="envoy-${status}"}`;
      const outage = {
        interval: "1m",
        input_series: [counter(ownHost("200"), 60, 120), counter(apiRule(1, "200"), 40, 120), counter(apiRule(1, "503"), 20, 120)],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", pageFor("qwen-small"))],
      };
      const healthy = {
        interval: "1m",
        input_series: [counter(ownHost("200"), 60, 120), counter(ownHost("503"), 1, 120), counter(apiRule(1, "200"), 500, 120)],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("90m", "LlmAvailabilityBudgetSlowBurn", [])],
      };
      const verdict = scenario([outage, healthy], both, models);
      it("with a host per model as well, pages on an outage seen only through the API while the model's own host serves fine", () => {
        expect(verdict()).toMatch(/SUCCESS/);
      });
    }
  });

  {
    const quiet = {
      interval: "1m",
      // 12 requests an hour (one every 5 minutes), one of them failing.
      input_series: [
        { series: frontDoor("200"), values: "0+0.2x120" },
        { series: frontDoor("500"), values: "0+0x54 1+0x65" },
      ],
      alert_rule_test: [alertsAt("60m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("60m", "LlmAvailabilityBudgetSlowBurn", [])],
      // The error ratio alone is above the page threshold (14.4 x 0.5%): only the volume guard holds it.
      promql_expr_test: [{ expr: "count(llm:request_error_ratio:rate1h > 0.072)", eval_time: "60m", exp_samples: [{ labels: "{}", value: 1 }] }],
    };
    const verdict = scenario([quiet]);
    it("does not page on one failed request in a dozen: too few requests to judge", () => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  {
    const engine = (reason: string) => `vllm:request_success_total{finished_reason="${reason}",${model}}`;
    const burning = {
      interval: "1m",
      input_series: [counter(engine("stop"), 90, 120), counter(engine("error"), 10, 120)],
      alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", page)],
    };
    const healthy = {
      interval: "1m",
      input_series: [counter(engine("stop"), 998, 120), counter(engine("error"), 2, 120), counter(engine("abort"), 300, 120)],
      alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("90m", "LlmAvailabilityBudgetSlowBurn", [])],
    };
    const verdict = scenario([burning, healthy], vllmOnly);
    it("without a scraped front door, page on vLLM's own error count, and stay quiet at 0.2% and on aborts", () => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  {
    const slow = {
      interval: "1m",
      input_series: [
        counter(`vllm:time_to_first_token_seconds_bucket{le="2.5",${model}}`, 50, 120),
        counter(`vllm:time_to_first_token_seconds_count{${model}}`, 100, 120),
      ],
      alert_rule_test: [
        alertsAt("90m", "LlmTtftBudgetFastBurn", [
          {
            exp_labels: { severity: "critical", slo: "llm:ttft_slow_ratio", model_name: "qwen-small" },
            exp_annotations: {
              summary: "Time to first token under 2.5s for model qwen-small is burning its error budget too fast.",
              description: "Objective 0.95; windows 14.4x over 1h/5m, 6x over 6h/30m.",
            },
          },
        ]),
      ],
    };
    const verdict = scenario([slow]);
    it("page when half the requests miss the TTFT threshold bucket", () => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  {
    // 5-minute samples for two hours: the 6h/30m pair of windows judges (the 5m window needs two samples).
    const every5m = (series: string, per5m: number) => ({ series, values: `0+${per5m}x24` });
    const engine = (version: string) => `model_name="qwen-small",namespace="serving",pod="qwen-small-${version}-0",version="${version}"`;
    const deployment = (release: string) => `namespace="llm-serving",deployment="${release}"`;
    const canary = {
      interval: "5m",
      input_series: [
        every5m(`vllm:time_to_first_token_seconds_bucket{le="2.5",${engine("stable")}}`, 495),
        every5m(`vllm:time_to_first_token_seconds_count{${engine("stable")}}`, 500),
        every5m(`vllm:time_to_first_token_seconds_bucket{le="2.5",${engine("v2")}}`, 25),
        every5m(`vllm:time_to_first_token_seconds_count{${engine("v2")}}`, 50),
        every5m(frontDoor("200"), 450),
        every5m(frontDoor("503"), 50),
        { series: `kube_deployment_status_replicas_available{${deployment("qwen-small")}}`, values: "1x24" },
        { series: `kube_deployment_spec_replicas{${deployment("qwen-small")}}`, values: "1x24" },
        { series: `kube_deployment_status_replicas_available{${deployment("qwen-small-v2")}}`, values: "0x24" },
        { series: `kube_deployment_spec_replicas{${deployment("qwen-small-v2")}}`, values: "1x24" },
      ],
      alert_rule_test: [
        alertsAt("90m", "LlmTtftBudgetFastBurn", [{
          exp_labels: { severity: "critical", slo: "llm:ttft_slow_ratio", model_name: "qwen-small", version: "v2" },
          exp_annotations: {
            summary: "Time to first token under 2.5s for model qwen-small (version v2) is burning its error budget too fast.",
            description: "Objective 0.95; windows 14.4x over 1h/5m, 6x over 6h/30m.",
          },
        }]),
        alertsAt("90m", "LlmAvailabilityBudgetFastBurn", page),
        alertsAt("30m", "LlmModelDown", [{
          exp_labels: { severity: "critical", model_name: "qwen-small", version: "v2", namespace: "llm-serving", deployment: "qwen-small-v2" },
          exp_annotations: {
            summary: "Model qwen-small (version v2) has no available replica.",
            description: "Its Deployment has had 0 available replicas for 5 minutes, outside a rollout within its progress deadline: every request fails.",
          },
        }]),
        alertsAt("30m", "LlmModelMissing", []),
      ],
    };
    const versions = { "qwen-small": { model: "qwen-small", version: "stable" }, "qwen-small-v2": { model: "qwen-small", version: "v2" } };
    const verdict = scenario([canary], vllmBehindFrontDoor, ["qwen-small", "qwen-small-v2"], versions);
    it("with a canary, judges each version on its own series: TTFT and LlmModelDown only for v2; the front door's ratio (no version) still joins its volume", () => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  {
    const saturated = {
      interval: "1m",
      input_series: [
        gauge(`vllm:num_requests_waiting{${model}}`, 30, 20),
        gauge(`DCGM_FI_DEV_FB_USED{${gpu}}`, 79000, 20),
        gauge(`DCGM_FI_DEV_FB_FREE{${gpu}}`, 1000, 20),
      ],
      alert_rule_test: [
        alertsAt("3m", "LlmQueueSaturated", []),
        alertsAt("10m", "LlmQueueSaturated", [
          {
            exp_labels: { severity: "warning", model_name: "qwen-small", namespace: "serving", pod: "qwen-small-0" },
            exp_annotations: {
              summary: "qwen-small-0 (qwen-small) has 30 requests waiting.",
              description: "More than 25 requests have been queued for 5 minutes: add replicas or GPUs.",
            },
          },
        ]),
        alertsAt("15m", "GpuMemoryPressure", [
          {
            exp_labels: { severity: "warning", gpu: "0", Hostname: "node-1", namespace: "serving", pod: "qwen-small-0" },
            exp_annotations: {
              summary: "GPU 0 on node-1 uses 98.75% of its memory.",
              description: "Above 0.95 for 10 minutes; the next allocation may fail with out-of-memory.",
            },
          },
        ]),
      ],
    };
    const verdict = scenario([saturated]);
    it("warn on a saturated queue and on GPU memory pressure after their hold times", () => {
      expect(verdict()).toMatch(/SUCCESS/);
    });
  }

  describe("for a llama.cpp model (as the local stack serves)", () => {
    {
      const saturated = {
        interval: "1m",
        input_series: [gauge(`llamacpp:requests_deferred{model_name="qwen-small",namespace="llm-serving",pod="qwen-small-0"}`, 30, 20)],
        alert_rule_test: [
          alertsAt("3m", "LlmQueueSaturated", []),
          alertsAt("10m", "LlmQueueSaturated", [
            {
              exp_labels: { severity: "warning", model_name: "qwen-small", namespace: "llm-serving", pod: "qwen-small-0" },
              exp_annotations: {
                summary: "qwen-small-0 (qwen-small) has 30 requests waiting.",
                description: "More than 25 requests have been queued for 5 minutes: add replicas or GPUs.",
              },
            },
          ]),
        ],
      };
      const verdict = scenario([saturated], cpuOnly);
      it("warn when requests wait for a slot (llamacpp:requests_deferred) for 5 minutes", () => {
        expect(verdict()).toMatch(/SUCCESS/);
      });
    }
  });
});
