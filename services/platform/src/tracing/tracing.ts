import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { loadTracingConfig, type TracingConfig } from "./config.js";

export interface TracingOptions {
  /** The `service.name` resource attribute: what a trace viewer shows as the process's name. */
  readonly serviceName: string;
  /**
   * An exporter that receives every span as soon as it ends (no batching), e.g. an
   * `InMemorySpanExporter` in tests.
   */
  readonly exporter?: SpanExporter;
  /** Base URL of an OTLP/HTTP receiver; spans are batched to `<otlpEndpoint>/v1/traces`. */
  readonly otlpEndpoint?: string;
  /**
   * How a span becomes the parent of work done after an `await`:
   * - `"async-local-storage"` (the default): the active span follows the request across every
   *   `await`, so a handler's calls find their parent without being handed it;
   * - `"explicit"`: no context manager is registered, `context.active()` is always the root, and
   *   the process hands each parent over itself (to a platform client call: under `traceParentKey`).
   *
   * Why a choice: in Node 20 AsyncLocalStorage, once used, runs a hook on every promise the process
   * creates. The edge, whose one traced call per request is easy to parent explicitly, served a REST
   * request with about 7% less CPU without it (159 → 148 µs in an A/B run of two edges).
   */
  readonly activeContext?: ActiveContext;
}

export type ActiveContext = "async-local-storage" | "explicit";

/** The process's tracing: one tracer provider, registered as the OpenTelemetry global. */
export interface Tracing {
  readonly serviceName: string;
  readonly provider: BasicTracerProvider;
  /** False when nothing is exported, so every span is a non-recording one (see `createTracing`). */
  readonly records: boolean;
  /** Hands every ended span to the exporters now (before a test reads them, or a process exits). */
  forceFlush(): Promise<void>;
  /**
   * Flushes, shuts the provider down and unregisters the globals, so a later `createTracing` in the
   * same process starts afresh. Idempotent.
   */
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/**
 * Sets up OpenTelemetry tracing for this process: a tracer provider, W3C Trace Context propagation,
 * and (unless `activeContext` says otherwise) an AsyncLocalStorage context manager so the active
 * span follows a request across every `await` (a handler's outbound calls and outbox writes find
 * their parent without being handed it).
 *
 * Why process-global and only once: the OpenTelemetry API keeps one global provider, and the
 * platform's instrumentation (server, clients, outbox, relay, consumers, edge) finds it through that
 * global. A test that runs several services in ONE process therefore calls this once, before
 * starting them, and every service shares the provider (and the test's exporter); spans tell the
 * services apart by their `shop.service` attribute. A second call throws instead of silently
 * replacing the first provider and losing its spans — use `ensureTracing` to share.
 *
 * With neither `exporter` nor `otlpEndpoint`, nothing is exported, so nothing is recorded either: the
 * sampler says no, and every span is a cheap non-recording one that still has real ids (`trace_id`
 * in logs and `traceparent` on the wire still join across services). Recording spans nobody reads
 * cost about a tenth of a small RPC's server time (bench B1).
 */
export function createTracing(options: TracingOptions): Tracing {
  if (installed) {
    throw new Error(
      `tracing is already set up in this process (service ${installed.serviceName}); share it with ensureTracing()`,
    );
  }
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter) spanProcessors.push(new SimpleSpanProcessor(options.exporter));
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, "")}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": options.serviceName }),
    spanProcessors,
    ...(spanProcessors.length === 0 ? { sampler: new AlwaysOffSampler() } : {}),
  });
  if ((options.activeContext ?? "async-local-storage") === "async-local-storage") {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    if (!context.setGlobalContextManager(contextManager)) {
      contextManager.disable();
      throw new Error("another OpenTelemetry context manager is already registered in this process");
    }
  }
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  let stopping: Promise<void> | undefined;
  const tracing: Tracing = {
    serviceName: options.serviceName,
    provider,
    records: spanProcessors.length > 0,
    forceFlush: () => provider.forceFlush(),
    shutdown() {
      stopping ??= (async () => {
        try {
          await provider.forceFlush();
          await provider.shutdown();
        } finally {
          trace.disable();
          propagation.disable();
          context.disable();
          if (installed === tracing) installed = undefined;
        }
      })();
      return stopping;
    },
  };
  installed = tracing;
  return tracing;
}

/** The process's tracing, if it has been set up. */
export function currentTracing(): Tracing | undefined {
  return installed;
}

/**
 * Returns the process's tracing, setting it up from the `OTEL_*` variables (see `tracingEnv`) the
 * first time. Why: the service runtime and the edge call this at start-up, so every process is
 * traced without each service wiring it, while a test that set up tracing first (with its own
 * exporter) keeps it — all services in that process then report to the test.
 */
export function ensureTracing(
  serviceName: string,
  config?: TracingConfig,
  activeContext: ActiveContext = "async-local-storage",
): Tracing {
  if (installed) return installed;
  const settings = config ?? loadTracingConfig();
  return createTracing({
    serviceName: settings.OTEL_SERVICE_NAME ?? serviceName,
    activeContext,
    ...(settings.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
}
