import {
  type Context,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { newSpanId, newTraceId } from "../trace-context.js";
import { contextFromHeaders, type HeaderSource } from "./propagation.js";
import { platformTracer, serviceAttribute, withServiceName } from "./tracer.js";
import { currentTracing } from "./tracing.js";

export interface HttpRequestInfo {
  /** The serving process (`edge`): the `shop.service` attribute. */
  readonly service: string;
  readonly method: string;
  /** The path only: query strings may carry things that must not reach a trace store. */
  readonly path: string;
  readonly headers: HeaderSource;
}

export interface HttpServerSpan {
  /** The context to serve the request in: the span is active, so upstream calls become children. */
  readonly context: Context;
  readonly span: Span;
  /**
   * Names the span after the matched route template (`POST /v1/orders`, `GET /v1/products/{id}`),
   * records the status and ends it; a 5xx is an error, a 4xx is the client's and is not.
   */
  end(route: string | undefined, status: number): void;
}

/**
 * Starts the SERVER span of one incoming HTTP request, parented by its `traceparent` if it has a
 * valid one. Why a template and not the path in the name: `/v1/products/{id}` groups every product
 * in a trace viewer, where raw paths would make one operation per product.
 */
export function startHttpServerSpan(request: HttpRequestInfo): HttpServerSpan {
  const parent = contextFromHeaders(request.headers);
  if (currentTracing()?.records === false) return unrecordedServerSpan(parent);
  const span = platformTracer().startSpan(
    request.method,
    {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": request.method,
        "url.path": request.path,
        [serviceAttribute]: request.service,
      },
    },
    parent,
  );
  let ended = false;
  return {
    context: withServiceName(trace.setSpan(parent, span), request.service),
    span,
    end(route, status) {
      if (ended) return;
      ended = true;
      if (route !== undefined) {
        span.updateName(`${request.method} ${route}`);
        span.setAttribute("http.route", route);
      }
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: String(status) });
      span.end();
    },
  };
}

/**
 * The span the SDK would make when nothing records: the parent's trace (or a new one), a new span
 * id, not sampled; ending it does nothing. Made here without the tracer, because the SDK's way there
 * (attributes, sampler, id generator) was about 3 % of the edge's CPU per REST request for a span
 * that is thrown away; its ids still reach the request log and the upstream's `traceparent`.
 */
function unrecordedServerSpan(parent: Context): HttpServerSpan {
  const parentSpan = trace.getSpanContext(parent);
  const spanContext: SpanContext = {
    traceId: parentSpan?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    traceFlags: TraceFlags.NONE,
  };
  if (parentSpan?.traceState) spanContext.traceState = parentSpan.traceState;
  const span = trace.wrapSpanContext(spanContext);
  // No service name in the context: only recorded CLIENT spans read it, and under an unsampled
  // parent the platform client records none.
  return { context: trace.setSpan(parent, span), span, end() {} };
}
