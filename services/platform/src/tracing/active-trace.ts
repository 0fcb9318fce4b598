import { context, isSpanContextValid, trace } from "@opentelemetry/api";

/** The ids of the span that is active right now, in the shape logs and `traceparent` use. */
export interface ActiveTrace {
  readonly traceId: string;
  readonly spanId: string;
  /** Two hex digits: `01` when sampled. */
  readonly flags: string;
}

/**
 * The ids of the active span, or undefined outside a traced request (or when tracing is not set
 * up). Why: the request log, the event consumer and the edge put exactly these ids on their lines,
 * so a log search by `trace_id` lands on the same trace a trace viewer shows.
 */
export function activeTrace(): ActiveTrace | undefined {
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return {
    traceId: spanContext.traceId,
    spanId: spanContext.spanId,
    flags: spanContext.traceFlags.toString(16).padStart(2, "0"),
  };
}

/** `{ trace_id, span_id }` of the active span for a pino line, or undefined outside a trace. */
export function activeTraceLogFields(): { trace_id: string; span_id: string } | undefined {
  const active = activeTrace();
  return active ? { trace_id: active.traceId, span_id: active.spanId } : undefined;
}
