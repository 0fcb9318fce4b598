import { type ContextValues, createContextKey } from "@connectrpc/connect";
import { pino } from "pino";
import type { Logger } from "./log.js";
import { formatTraceparent } from "./trace-context.js";

/** The trace position of the call being served: its trace id and the span id this server uses. */
export interface RequestTrace {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: string;
}

/**
 * The per-request child logger (with `trace_id` and `procedure`), set by the request-log interceptor.
 * Handlers read it with `ctx.values.get(requestLoggerKey)` so their lines join the request's trace.
 * The default is a disabled logger, so handlers under unit test need no setup.
 */
export const requestLoggerKey = createContextKey<Logger>(pino({ enabled: false }), {
  description: "per-request logger",
});

/** The trace of the call being served; undefined outside a request. */
export const requestTraceKey = createContextKey<RequestTrace | undefined>(undefined, {
  description: "W3C trace context of the current request",
});

/**
 * Headers to pass on an outbound call made while serving a request, so the trace id carries across
 * services: `client.getStock(req, { headers: traceHeaders(ctx.values) })`. Empty outside a request.
 */
export function traceHeaders(values: ContextValues): Record<string, string> {
  const trace = values.get(requestTraceKey);
  return trace ? { traceparent: formatTraceparent(trace.traceId, trace.spanId, trace.flags) } : {};
}
