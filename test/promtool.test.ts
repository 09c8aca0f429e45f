import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { llmAlertRuleGroups, type LlmSlo } from "../components/monitoring/llm-alert-rules";
import { vllmOnly, type ServingSources } from "../components/monitoring/metric-names";

/**
 * Runs the alert rules in Prometheus's own rule engine (`promtool test rules`) against synthetic
 * series. promtool is optional (Debian package `prometheus`, or go install .../cmd/promtool); without
 * it these tests are skipped.
 */
const promtool = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

const slo: LlmSlo = { availability: 0.995, ttftSeconds: 2.5, ttftTarget: 0.95, queueSaturation: 25, gpuMemoryPressure: 0.95 };
const model = 'model_name="qwen-small",namespace="serving",pod="qwen-small-0"';
const gpu = 'gpu="0",Hostname="node-1",namespace="serving",pod="qwen-small-0"';

/** Counter series growing by `perMinute` each 1m sample for `minutes` minutes. */
const counter = (series: string, perMinute: number, minutes: number) => ({ series, values: `0+${perMinute}x${minutes}` });
const gauge = (series: string, value: number, minutes: number) => ({ series, values: `${value}x${minutes}` });

/** The page the availability SLO sends for qwen-small, whichever engine's metrics fed it. */
const availabilityPage = {
  exp_labels: { severity: "critical", slo: "llm:request_error_ratio", model_name: "qwen-small" },
  exp_annotations: {
    summary: "Availability for model qwen-small is burning its error budget too fast.",
    description: "Objective 0.995; windows 14.4x over 1h/5m, 6x over 6h/30m.",
  },
};

const alertsAt = (evalTime: string, alertname: string, exp_alerts: unknown[]) => ({ eval_time: evalTime, alertname, exp_alerts });

function runPromtool(tests: unknown[], sources: ServingSources = vllmOnly): string {
  const dir = mkdtempSync(join(tmpdir(), "llm-promtool-"));
  writeFileSync(join(dir, "rules.yaml"), stringify({ groups: llmAlertRuleGroups(slo, sources) }));
  writeFileSync(join(dir, "tests.yaml"), stringify({ rule_files: ["rules.yaml"], evaluation_interval: "1m", tests }));
  execFileSync(promtool!, ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" });
  return execFileSync(promtool!, ["test", "rules", join(dir, "tests.yaml")], { encoding: "utf8", cwd: dir });
}

describe.skipIf(!promtool)("the alert rules in Prometheus's rule engine (promtool)", () => {
  it("page on 10% engine errors within the hour, and stay quiet at 0.2%", () => {
    const burning = {
      interval: "1m",
      input_series: [
        counter(`vllm:request_success_total{finished_reason="stop",${model}}`, 90, 120),
        counter(`vllm:request_success_total{finished_reason="error",${model}}`, 10, 120),
      ],
      alert_rule_test: [
        alertsAt("90m", "LlmAvailabilityBudgetFastBurn", [availabilityPage]),
      ],
    };
    const healthy = {
      interval: "1m",
      input_series: [
        counter(`vllm:request_success_total{finished_reason="stop",${model}}`, 998, 120),
        counter(`vllm:request_success_total{finished_reason="error",${model}}`, 2, 120),
        counter(`vllm:request_success_total{finished_reason="abort",${model}}`, 300, 120),
      ],
      alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("90m", "LlmAvailabilityBudgetSlowBurn", [])],
    };
    expect(runPromtool([burning, healthy])).toMatch(/SUCCESS/);
  });

  it("page when half the requests miss the TTFT threshold bucket", () => {
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
    expect(runPromtool([slow])).toMatch(/SUCCESS/);
  });

  it("warn on a saturated queue and on GPU memory pressure after their hold times", () => {
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
    expect(runPromtool([saturated])).toMatch(/SUCCESS/);
  });

  describe("for a llama.cpp model (as the local stack serves)", () => {
    const cpuOnly: ServingSources = { vllm: false, llamacpp: ["qwen-small"], frontDoor: { namespace: "llm-serving" } };
    // As Prometheus stores ingress-nginx's counter: the controller's own namespace wins, the Ingress's becomes exported_namespace.
    const frontDoor = (status: string) =>
      `nginx_ingress_controller_requests{exported_namespace="llm-serving",ingress="qwen-small",status="${status}",namespace="ingress-nginx",pod="controller-0"}`;

    it("page on 10% 5xx answers at the front door, and stay quiet at 0.2%", () => {
      const burning = {
        interval: "1m",
        input_series: [counter(frontDoor("200"), 90, 120), counter(frontDoor("503"), 10, 120)],
        alert_rule_test: [
          alertsAt("90m", "LlmAvailabilityBudgetFastBurn", [availabilityPage]),
        ],
      };
      const healthy = {
        interval: "1m",
        input_series: [counter(frontDoor("200"), 998, 120), counter(frontDoor("500"), 2, 120), counter(frontDoor("401"), 50, 120)],
        alert_rule_test: [alertsAt("90m", "LlmAvailabilityBudgetFastBurn", []), alertsAt("90m", "LlmAvailabilityBudgetSlowBurn", [])],
      };
      expect(runPromtool([burning, healthy], cpuOnly)).toMatch(/SUCCESS/);
    });

    it("warn when requests wait for a slot (llamacpp:requests_deferred) for 5 minutes", () => {
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
      expect(runPromtool([saturated], cpuOnly)).toMatch(/SUCCESS/);
    });
  });
});
