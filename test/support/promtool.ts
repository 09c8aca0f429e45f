import { execFileSync } from "node:child_process";

/**
 * promtool runs alert rules in Prometheus's own rule engine (`promtool test rules`). It is optional
 * (Debian package `prometheus`, or go install .../cmd/promtool): without it the tests that need it skip.
 */
export const promtool: string | undefined = (() => {
  try {
    return execFileSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
