import type { Interceptor } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { observeCall } from "./observe-call.js";
import { codeLabel } from "./rpc-code.js";

/** Latency buckets in seconds, 0.5 ms to 5 s: in-mesh calls are sub-millisecond when healthy. */
export const rpcDurationBuckets = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Circuit breaker states as the `circuit_breaker_state` gauge encodes them. */
export const breakerStateValue = { closed: 0, "half-open": 1, open: 2 } as const;
export type BreakerState = keyof typeof breakerStateValue;

export interface Metrics {
  /** This service's own registry: tests and multiple services in one process never collide. */
  readonly registry: Registry;
  /** Server-side interceptor recording rate, errors and duration per RPC. */
  readonly rpcInterceptor: Interceptor;
  /** Client-side interceptor for calls to `upstream`; records every attempt, retries included. */
  clientInterceptor(upstream: string): Interceptor;
  /** Publishes a breaker transition so dashboards show which upstream is being shed. */
  breakerState(upstream: string, state: BreakerState): void;
  /** The Prometheus text exposition of everything in the registry. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Added as the `service` label on every series, so one Prometheus can tell the services apart. */
  service: string;
  /** Node process metrics (CPU, heap, event loop lag). On by default; tests may turn them off. */
  processMetrics?: boolean;
}

/**
 * Creates the RED metrics of a service (Rate, Errors, Duration per RPC, server and client side), the
 * breaker gauge and the default process metrics in a registry of its own.
 *
 * Series: `rpc_server_requests_total{service,method,code}`, `rpc_server_duration_seconds{service,method}`,
 * `rpc_client_requests_total{service,upstream,method,code}`, `rpc_client_duration_seconds{service,upstream,method}`,
 * `circuit_breaker_state{service,upstream}`. `method` is the full procedure
 * (`/shop.product.v1.ProductService/GetProduct`) and `code` uses the same spelling as the logs
 * ("ok", "not_found"), so a dashboard and a log search speak the same language.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const serverRequests = new Counter({
    name: "rpc_server_requests_total",
    help: "RPCs served, by method and result code.",
    labelNames: ["method", "code"] as const,
    registers,
  });
  const serverDuration = new Histogram({
    name: "rpc_server_duration_seconds",
    help: "Time to serve an RPC, from first byte to last response message.",
    labelNames: ["method"] as const,
    buckets: rpcDurationBuckets,
    registers,
  });
  const clientRequests = new Counter({
    name: "rpc_client_requests_total",
    help: "RPC attempts made to upstream services, by result code.",
    labelNames: ["upstream", "method", "code"] as const,
    registers,
  });
  const clientDuration = new Histogram({
    name: "rpc_client_duration_seconds",
    help: "Duration of RPC attempts made to upstream services.",
    labelNames: ["upstream", "method"] as const,
    buckets: rpcDurationBuckets,
    registers,
  });
  const breaker = new Gauge({
    name: "circuit_breaker_state",
    help: "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open.",
    labelNames: ["upstream"] as const,
    registers,
  });

  // Not async: observeCall already returns the call's promise, and a second one per call is waste.
  const rpcInterceptor: Interceptor = (next) => (req) => {
    const method = `/${req.service.typeName}/${req.method.name}`;
    const started = performance.now();
    return observeCall(next, req, (error) => {
      serverRequests.inc({ method, code: codeLabel(error) });
      serverDuration.observe({ method }, (performance.now() - started) / 1000);
    });
  };

  function clientInterceptor(upstream: string): Interceptor {
    return (next) => (req) => {
      const method = `/${req.service.typeName}/${req.method.name}`;
      const started = performance.now();
      return observeCall(next, req, (error) => {
        clientRequests.inc({ upstream, method, code: codeLabel(error) });
        clientDuration.observe({ upstream, method }, (performance.now() - started) / 1000);
      });
    };
  }

  return {
    registry,
    rpcInterceptor,
    clientInterceptor,
    breakerState: (upstream, state) => breaker.set({ upstream }, breakerStateValue[state]),
    render: () => registry.metrics(),
  };
}
