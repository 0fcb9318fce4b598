import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

/**
 * Anything headers can be read from by name: fetch `Headers` (Connect), NATS `MsgHdrs` (which answer
 * "" for a missing header) or a plain map adapted with `headerSourceOf`.
 */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

// One propagator, used directly rather than through the global API: propagation then works the same
// whether or not a process registered tracing, and nobody else's global propagator can change it.
const w3c = new W3CTraceContextPropagator();

const getter: TextMapGetter<HeaderSource> = {
  get: (carrier, key) => carrier.get(key) || undefined,
  keys: () => [],
};

const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * The context a message or call continues: `base` with the remote parent named by `traceparent` /
 * `tracestate`, or `base` unchanged when they are absent or malformed (a garbage header starts a new
 * trace rather than poisoning one). Why a base: the server and the consumer start from the root
 * (the wire is the only truth), a client call continues from what is active.
 */
export function contextFromHeaders(headers: HeaderSource, base: Context = ROOT_CONTEXT): Context {
  return w3c.extract(base, headers, getter);
}

/** The remote parent of a stored `traceparent` (an outbox row), or the root when it is absent. */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!traceparent) return ROOT_CONTEXT;
  return contextFromHeaders({ get: (name) => (name === "traceparent" ? traceparent : undefined) });
}

/**
 * The W3C headers (`traceparent`, and `tracestate` when there is one) that make a callee's spans
 * children of the span active in `ctx`; empty when `ctx` holds no valid span.
 */
export function traceHeadersOf(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  w3c.inject(ctx, headers, recordSetter);
  return headers;
}

/** The `traceparent` of the span active in `ctx` (the current one by default), if it is valid. */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  return traceHeadersOf(ctx).traceparent;
}

/** Whether `ctx` carries a span with real ids (not the no-op span of an untraced context). */
export function hasValidSpan(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isSpanContextValid(spanContext);
}

/** Adapts Node's `IncomingHttpHeaders` (lower-case names, string or string[] values) to a source. */
export function headerSourceOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): HeaderSource {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    },
  };
}
