import type { Interceptor } from "@connectrpc/connect";
import type { Level } from "pino";
import { createAuthInterceptor } from "./auth/auth-interceptor.js";
import type { TokenVerifier } from "./auth/token-verifier.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { type MetricsServer, startMetricsServer } from "./metrics-server.js";
import { createRequestLogInterceptor } from "./request-log.js";
import type { HealthRegistry } from "./server/health.js";
import { type ServiceRegistration, startGrpcServer } from "./server/server.js";
import { createTracingInterceptor } from "./tracing/server-interceptor.js";
import { ensureTracing } from "./tracing/tracing.js";

export interface ServiceRuntimeOptions {
  /** The service's name (`product`): the `service` field of every log line and metric series. */
  readonly name: string;
  /** gRPC port; 0 picks a free one (tests). */
  readonly port: number;
  readonly host?: string;
  readonly logLevel: Level | "silent";
  /** Port of the Prometheus `/metrics` listener; unset means no listener (metrics still recorded). */
  readonly metricsPort?: number;
  readonly services: readonly ServiceRegistration[];
  /**
   * Turns authentication on: bearer tokens are verified and every method's `shop.common.v1.access`
   * rule is enforced, right after request logging and metrics (so rejected calls are logged and
   * counted) and before the extra interceptors (so they see the caller's identity).
   */
  readonly auth?: TokenVerifier;
  /** Extra interceptors, run inside request logging, metrics and auth. Outermost first. */
  readonly interceptors?: readonly Interceptor[];
  /** Run after the last call ends, in order: close stores, consumers, pools. */
  readonly onShutdown?: ReadonlyArray<() => unknown>;
  /** How long health reports NOT_SERVING before connections close, so probes and balancers notice. */
  readonly drainDelayMs?: number;
  /** How long in-flight calls may run after draining starts before they are cancelled. */
  readonly shutdownGraceMs?: number;
  /** Largest request message accepted; larger ones get RESOURCE_EXHAUSTED. Defaults to 4 MiB. */
  readonly readMaxBytes?: number;
  /** A logger to use instead of creating one (tests capture lines; `npm start` may share one). */
  readonly logger?: Logger;
  /** Node process metrics (CPU, heap, event loop). On by default; ignored when `metrics` is given. */
  readonly processMetrics?: boolean;
  /**
   * The service's metrics, when it created them before the runtime (see `createMetrics`). Why: what
   * starts before the server — the outbox relay, upstream clients — must record on the same registry
   * that `/metrics` serves, or its series are never scraped.
   */
  readonly metrics?: Metrics;
}

export interface ServiceRuntime {
  /** The bound gRPC port (the real one when 0 was asked for). */
  readonly port: number;
  /** The bound `/metrics` port, or undefined when no metrics listener was asked for. */
  readonly metricsPort: number | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
  /**
   * Graceful stop: health NOT_SERVING, drain, in-flight calls finish, shutdown hooks run, then the
   * metrics listener closes (last, so scrapes still see the drain). Idempotent.
   */
  shutdown(): Promise<void>;
}

/**
 * Starts a service the one standard way: process tracing (set up from `OTEL_*` on first use, shared
 * when the process already has it), process logger, RED metrics (and their `/metrics` listener when
 * a port is given), and the platform gRPC server with the standard interceptors composed in a fixed
 * order — the tracing SERVER span outermost, then the request log (which logs that span's ids), RPC
 * metrics, auth (when `auth` is given), then the caller's extras.
 *
 * Why one function: every service must log, measure and shut down identically, so dashboards, log
 * searches and SIGTERM behave the same across the mesh; a service's `main` then only wires its own
 * store and handlers. The order matters: the request log sees the final code of every call, even
 * one rejected by auth, and metrics count it.
 */
export async function startServiceRuntime(options: ServiceRuntimeOptions): Promise<ServiceRuntime> {
  const logger = options.logger ?? createLogger({ service: options.name, level: options.logLevel });
  const metrics =
    options.metrics ??
    createMetrics({
      service: options.name,
      ...(options.processMetrics === undefined ? {} : { processMetrics: options.processMetrics }),
    });
  const tracing = ensureTracing(options.name);
  const interceptors: Interceptor[] = [
    createTracingInterceptor({ service: options.name }),
    createRequestLogInterceptor(logger),
    metrics.rpcInterceptor,
    ...(options.auth ? [createAuthInterceptor({ verifier: options.auth })] : []),
    ...(options.interceptors ?? []),
  ];

  const server = await startGrpcServer({
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
    services: options.services,
    logger,
    interceptors,
    ...(options.onShutdown === undefined ? {} : { onShutdown: options.onShutdown }),
    ...(options.drainDelayMs === undefined ? {} : { drainDelayMs: options.drainDelayMs }),
    ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
    ...(options.readMaxBytes === undefined ? {} : { readMaxBytes: options.readMaxBytes }),
  });

  let metricsServer: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer({
        port: options.metricsPort,
        ...(options.host === undefined ? {} : { host: options.host }),
        metrics,
        logger,
      });
    } catch (error) {
      await server.shutdown();
      throw error;
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    port: server.port,
    metricsPort: metricsServer?.port,
    logger,
    metrics,
    health: server.health,
    shutdown() {
      stopping ??= (async () => {
        try {
          await server.shutdown();
        } finally {
          await metricsServer?.close();
          await tracing
            .forceFlush()
            .catch((error: unknown) => logger.warn({ err: error }, "span flush failed"));
        }
      })();
      return stopping;
    },
  };
}
