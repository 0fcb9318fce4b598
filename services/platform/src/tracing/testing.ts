import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createTracing, type Tracing } from "./tracing.js";

/** Tracing for a test process, with every ended span kept in memory. */
export interface TestTracing {
  readonly tracing: Tracing;
  readonly exporter: InMemorySpanExporter;
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  /** The spans of one trace. */
  traceSpans(traceId: string): ReadableSpan[];
  /** Forgets the spans ended so far, so the next test looks at its own only. */
  reset(): void;
  shutdown(): Promise<void>;
}

/**
 * Sets up this process's tracing with an in-memory exporter. Call it BEFORE starting services: the
 * service runtime and the edge then share this provider (see `ensureTracing`), so one test sees the
 * spans of every service it runs. Why a helper: every tracing test needs the same set-up and the
 * same span look-ups, and must shut tracing down so the global state does not leak.
 */
export function createTestTracing(serviceName = "test"): TestTracing {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName, exporter });
  const spans = () => exporter.getFinishedSpans();
  return {
    tracing,
    exporter,
    spans,
    traceSpans: (traceId) => spans().filter((span) => span.spanContext().traceId === traceId),
    reset: () => exporter.reset(),
    shutdown: () => tracing.shutdown(),
  };
}

/** The span id of a span's parent, or undefined for a root span. */
export function parentIdOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

/** Whether `child` is a direct child of `parent` in the same trace. */
export function isChildOf(child: ReadableSpan, parent: ReadableSpan): boolean {
  return (
    child.spanContext().traceId === parent.spanContext().traceId &&
    parentIdOf(child) === parent.spanContext().spanId
  );
}

/** The one span matching `kind` and `name`; throws naming what was there when it is not exactly one. */
export function onlySpan(spans: readonly ReadableSpan[], kind: SpanKind, name: string): ReadableSpan {
  const found = spans.filter((span) => span.kind === kind && span.name === name);
  if (found.length !== 1) {
    const seen = spans.map((span) => `${SpanKind[span.kind]} ${span.name}`).join(", ");
    throw new Error(`expected one ${SpanKind[kind]} span "${name}", found ${found.length} among: ${seen}`);
  }
  return found[0] as ReadableSpan;
}
