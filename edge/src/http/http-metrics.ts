import { Counter, Histogram, type Registry } from "prom-client";

export interface HttpMetrics {
  /** Records one finished REST request; `route` is the template (`/v1/products/{id}`), never the raw path. */
  observe(route: string, method: string, status: number, seconds: number): void;
}

/** Latency buckets in seconds, 1 ms to 10 s: an edge request includes at least one upstream hop. */
const httpDurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * RED metrics of the REST surface, per route template, in the edge's platform registry (beside the
 * upstream RPC metrics and breaker gauges): `http_server_requests_total{route,method,status}` and
 * `http_server_duration_seconds{route,method}`. Templates, not paths, keep the label set bounded.
 */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: "http_server_requests_total",
    help: "REST requests served by the edge, by route template, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_server_duration_seconds",
    help: "Time to serve a REST request at the edge.",
    labelNames: ["route", "method"] as const,
    buckets: httpDurationBuckets,
    registers: [registry],
  });
  return {
    observe(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      duration.observe({ route, method }, seconds);
    },
  };
}
