import type { DescMethod } from "@bufbuild/protobuf";
import { type ContextValues, createContextKey } from "@connectrpc/connect";
import { type Attributes, type Context, context, SpanKind, TraceFlags, trace } from "@opentelemetry/api";
import { contextFromHeaders, hasValidSpan, traceHeadersOf } from "./propagation.js";
import { defaultUntracedServices, endRpcSpan, rpcAttributes, rpcSpanName } from "./rpc-span.js";
import { platformTracer, serviceAttribute, serviceNameOf } from "./tracer.js";

type HeaderInit = ConstructorParameters<typeof Headers>[0];

const untraced = new Set(defaultUntracedServices);

/**
 * The parent of a call's CLIENT span, handed over in the call's Connect context values by a caller
 * that has no active span to offer: a process tracing with `activeContext: "explicit"` (the edge).
 * A `Context` rather than a `traceparent` header, so the parent is not written out as text only to be
 * parsed back on the same call.
 */
export const traceParentKey = createContextKey<Context | undefined>(undefined, {
  description: "the parent of the call's CLIENT span",
});

/**
 * Runs one outbound unary call inside a CLIENT span and hands `call` the request headers with the
 * span's `traceparent` in them, so the callee's SERVER span becomes its child.
 *
 * The parent is the span active now (the handler's request, a consumer's message); when nothing is
 * active, the one given under `traceParentKey` in `contextValues`; failing that, a `traceparent` the
 * caller put in `header` (code that still passes `traceHeaders(ctx.values)` by hand). Without
 * tracing set up the no-op span keeps the parent's ids, so the parent's `traceparent` is forwarded
 * unchanged. One span covers the whole call, retries included (its duration is what the caller
 * waited). Health and reflection calls are not traced.
 *
 * A call whose parent is not sampled gets no span either: the parent's context is forwarded as it is.
 * Why: the platform's samplers follow the parent (ParentBased, or AlwaysOff when nothing is exported),
 * so such a span would be a non-recording one that nobody sees, and making it (ids, context, the
 * sampler's verdict, ending it) was about 2 % of the edge's CPU per REST request, where tracing is off.
 */
export function traceUnaryCall<T>(
  method: DescMethod,
  upstream: string,
  header: HeaderInit | undefined,
  contextValues: ContextValues | undefined,
  call: (header: Headers) => Promise<T>,
): Promise<T> {
  let headers: Headers;
  try {
    headers = new Headers(header);
  } catch (error) {
    return Promise.reject(error);
  }
  if (untraced.has(method.parent.typeName)) return call(headers);
  const active = context.active();
  const parent = hasValidSpan(active)
    ? active
    : (contextValues?.get(traceParentKey) ?? contextFromHeaders(headers, active));
  if (isUnsampled(parent)) {
    // Not async: without a span to end, an async wrapper would only add a promise to every call.
    setTraceHeaders(headers, traceHeadersOf(parent));
    return call(headers);
  }
  return callInClientSpan(method, upstream, headers, parent, call);
}

/** The recorded case of `traceUnaryCall`: `call` runs in a CLIENT span that ends with its outcome. */
async function callInClientSpan<T>(
  method: DescMethod,
  upstream: string,
  headers: Headers,
  parent: Context,
  call: (header: Headers) => Promise<T>,
): Promise<T> {
  const span = platformTracer().startSpan(
    rpcSpanName(method),
    { kind: SpanKind.CLIENT, attributes: clientAttributes(method, upstream, parent) },
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

/** True when `parent` holds a span whose trace is not sampled, so a child of it would not be recorded. */
function isUnsampled(parent: Context): boolean {
  const spanContext = trace.getSpanContext(parent);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) === 0;
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
  headers.set("traceparent", trace.traceparent);
  if (trace.tracestate === undefined) headers.delete("tracestate");
  else headers.set("tracestate", trace.tracestate);
}

const attributeCache = new WeakMap<DescMethod, Map<string, Attributes>>();

/**
 * A CLIENT span's attributes: the RPC's, the called upstream and the service serving in `parent`
 * (the active context, or the one a process tracing explicitly handed over), if any. Made
 * once per method, upstream and service and then shared (spans copy what they keep), since every
 * outbound call of a busy process asks for the same few sets.
 */
function clientAttributes(method: DescMethod, upstream: string, parent: Context): Attributes {
  const service = serviceNameOf(parent);
  const key = `${upstream}\n${service ?? ""}`;
  let byCaller = attributeCache.get(method);
  if (!byCaller) {
    byCaller = new Map();
    attributeCache.set(method, byCaller);
  }
  let attributes = byCaller.get(key);
  if (!attributes) {
    attributes = Object.freeze({
      ...rpcAttributes(method),
      "peer.service": upstream,
      ...(service === undefined ? {} : { [serviceAttribute]: service }),
    });
    byCaller.set(key, attributes);
  }
  return attributes;
}
