import { parser } from "@prometheus-io/lezer-promql";

export interface ParsedPromql {
  /** Text of every syntax error node; empty when the expression parses. */
  errors: string[];
  /** Metric names of every vector selector. */
  metricNames: string[];
}

/** Parses with Prometheus's own PromQL grammar (the one its web UI uses). */
export function parsePromql(expr: string): ParsedPromql {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metricNames: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 10), node.to + 10)}"`);
      if (node.name === "VectorSelector") {
        const identifier = node.node.getChild("Identifier");
        if (identifier) metricNames.push(expr.slice(identifier.from, identifier.to));
      }
    },
  });
  return { errors, metricNames };
}

/** Grafana interpolates its interval variables before Prometheus sees a query. */
export const interpolateGrafana = (expr: string) => expr.replaceAll("$__rate_interval", "1m");
