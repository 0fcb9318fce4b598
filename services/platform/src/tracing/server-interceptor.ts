import type { Interceptor } from "@connectrpc/connect";
import { context, SpanKind, trace } from "@opentelemetry/api";
import { observeCall } from "../observe-call.js";
import { requestHeaderValue } from "../server/fast-handler-context.js";
import { contextFromHeaders } from "./propagation.js";
import { defaultUntracedServices, endRpcSpan, rpcAttributes, rpcSpanName } from "./rpc-span.js";
import { platformTracer, serviceAttribute, withServiceName } from "./tracer.js";

export interface TracingInterceptorOptions {
  /** The serving service's name (`inventory`): the `shop.service` attribute of its spans. */
  readonly service: string;
  /** Fully-qualified services that get no spans; health and reflection by default. */
  readonly untracedServices?: readonly string[];
}

/**
 * A server interceptor that gives every RPC a SERVER span (`rpc.system`, `rpc.service`,
 * `rpc.method`, `rpc.grpc.status_code`) whose parent is the caller's `traceparent`, and runs the
 * handler with that span active.
 *
 * Why an interceptor, outermost: interceptors run on the gRPC fast path and on the Connect fallback
 * alike, so every protocol is traced once; being outermost, the request log, metrics, auth and the
 * handler all see the span — the log's `trace_id` is the span's, and the handler's outbound calls
 * and outbox writes become its children without any code in the handler. Streaming calls end their
 * span when the response stream ends.
 */
export function createTracingInterceptor(options: TracingInterceptorOptions): Interceptor {
  const untraced = new Set(options.untracedServices ?? defaultUntracedServices);
  return (next) => (req) => {
    if (untraced.has(req.service.typeName)) return next(req);
    const parent = contextFromHeaders({ get: (name) => requestHeaderValue(req, name) });
    const span = platformTracer().startSpan(
      rpcSpanName(req.method),
      {
        kind: SpanKind.SERVER,
        attributes: { ...rpcAttributes(req.method), [serviceAttribute]: options.service },
      },
      parent,
    );
    const active = withServiceName(trace.setSpan(parent, span), options.service);
    return context.with(active, () => observeCall(next, req, (error) => endRpcSpan(span, error, "server")));
  };
}
