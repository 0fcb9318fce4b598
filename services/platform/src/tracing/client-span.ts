import type { DescMethod } from "@bufbuild/protobuf";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { contextFromHeaders, hasValidSpan, traceHeadersOf } from "./propagation.js";
import { defaultUntracedServices, endRpcSpan, rpcAttributes, rpcSpanName } from "./rpc-span.js";
import { platformTracer, serviceAttributes } from "./tracer.js";

type HeaderInit = ConstructorParameters<typeof Headers>[0];

const untraced = new Set(defaultUntracedServices);

/**
 * Runs one outbound unary call inside a CLIENT span and hands `call` the request headers with the
 * span's `traceparent` in them, so the callee's SERVER span becomes its child.
 *
 * The parent is the span active now (the handler's request, a consumer's message); only when
 * nothing is active does a `traceparent` the caller put in `header` count (code that still passes
 * `traceHeaders(ctx.values)` by hand). Without tracing set up the no-op span keeps the parent's ids,
 * so the caller's `traceparent` is forwarded unchanged. One span covers the whole call, retries
 * included (its duration is what the caller waited). Health and reflection calls are not traced.
 */
export async function traceUnaryCall<T>(
  method: DescMethod,
  upstream: string,
  header: HeaderInit | undefined,
  call: (header: Headers) => Promise<T>,
): Promise<T> {
  const headers = new Headers(header);
  if (untraced.has(method.parent.typeName)) return call(headers);
  const active = context.active();
  const parent = hasValidSpan(active) ? active : contextFromHeaders(headers, active);
  const span = platformTracer().startSpan(
    rpcSpanName(method),
    {
      kind: SpanKind.CLIENT,
      attributes: { ...rpcAttributes(method), "peer.service": upstream, ...serviceAttributes(active) },
    },
    parent,
  );
  const current = trace.setSpan(parent, span);
  setTraceHeaders(headers, traceHeadersOf(current));
  try {
    const result = await context.with(current, () => call(headers));
    endRpcSpan(span, undefined, "client");
    return result;
  } catch (error) {
    endRpcSpan(span, error, "client");
    throw error;
  }
}

/**
 * The headers of an outbound call that gets no span of its own (a stream), carrying the active
 * span's trace context when there is one, so the callee still joins the trace.
 */
export function withActiveTraceHeaders(header: HeaderInit | undefined): Headers {
  const headers = new Headers(header);
  setTraceHeaders(headers, traceHeadersOf(context.active()));
  return headers;
}

/** Replaces the trace context in `headers` (a stale `tracestate` must not outlive its traceparent). */
function setTraceHeaders(headers: Headers, trace: Record<string, string>): void {
  if (trace.traceparent === undefined) return;
  headers.delete("tracestate");
  for (const [name, value] of Object.entries(trace)) headers.set(name, value);
}
