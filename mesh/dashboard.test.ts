import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { Histogram, type Registry } from "prom-client";
import { createSagaMetrics } from "../services/order/src/saga/saga-metrics.js";
import { registerOwedRefundMetrics } from "../services/payment/src/owed-refund-metrics.js";
import {
  trackConsumerPending,
  trackStreamMessages,
} from "../services/platform/src/events/consumer-metrics.js";
import { createOutboxRelayMetrics } from "../services/platform/src/events/outbox-relay-metrics.js";
import { createMetrics } from "../services/platform/src/metrics.js";
import { meshDir } from "./src/render-mesh.js";

const dashboardFile = path.join(meshDir, "observability", "grafana", "dashboards", "shop-mesh.json");

interface Dashboard {
  panels: { title: string; targets?: { expr?: string }[] }[];
  templating?: { list: { query?: string }[] };
}

/** Envoy's own statistics, scraped from the sidecars' stats listener rather than from service code. */
const sidecarPrefix = "envoy_";

/**
 * The metric names a PromQL expression selects. Label matchers, grouping labels, ranges, strings and
 * dashboard variables are dropped first; of what remains, a name followed by `(` is a function or
 * aggregation, every other name is a metric.
 */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without)\s*\([^)]*\)/g, " ")
    .replace(/\$\w+/g, " ");
  const names: string[] = [];
  for (const match of stripped.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)) {
    if (match[2] === undefined && match[1] !== undefined) names.push(match[1]);
  }
  return names;
}

/**
 * Every series name the services' code registers: each metric factory a service calls, on one
 * registry, with inert sources (nothing is scraped). Histograms also expose `_bucket`, `_sum`, `_count`.
 */
function registeredNames(): Set<string> {
  const metrics = createMetrics({ service: "dashboard-check", processMetrics: false });
  const registry: Registry = metrics.registry;
  createOutboxRelayMetrics(registry, async () => 0);
  createSagaMetrics(registry);
  const inert = async () => 0;
  registerOwedRefundMetrics(registry, inert);
  trackConsumerPending(registry, { stream: "S", consumer: "c", read: inert });
  trackStreamMessages(registry, { stream: "S", read: inert });
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name;
    names.add(name);
    if (metric instanceof Histogram)
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
  }
  return names;
}

describe("Grafana dashboard", () => {
  test("the PromQL name extraction finds metrics, not functions, labels or variables", () => {
    assert.deepEqual(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (service, le) (rate(a_seconds_bucket{service=~"$service"}[5m])))',
      ),
      ["a_seconds_bucket"],
    );
    assert.deepEqual(metricNamesIn("max by (stream, consumer) (b_pending)"), ["b_pending"]);
    assert.deepEqual(metricNamesIn("sum by (outcome) (increase(c_total[$__rate_interval]))"), ["c_total"]);
  });

  test("every metric a panel or variable queries is registered by the services' code", () => {
    const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as Dashboard;
    const registered = registeredNames();
    const queries = [
      ...dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr ?? "" })),
      ),
      ...(dashboard.templating?.list ?? []).map((variable) => ({
        where: "variables",
        expr: variable.query ?? "",
      })),
    ];
    let checked = 0;
    for (const { where, expr } of queries) {
      for (const name of metricNamesIn(expr.replace(/^label_values\(([^,)]+).*$/, "$1"))) {
        if (name.startsWith(sidecarPrefix)) continue;
        checked++;
        assert.ok(registered.has(name), `panel "${where}" queries ${name}, which no service exports`);
      }
    }
    assert.ok(checked >= 10, `only ${checked} metric references found: is the extraction broken?`);
  });
});
