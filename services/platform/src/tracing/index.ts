/**
 * OpenTelemetry tracing across the mesh: process set-up, W3C propagation, and the spans of RPC
 * servers and clients, the edge's HTTP requests, and JetStream publish / consume.
 * Imported as `@shop/platform/tracing/index`.
 */
export { type ActiveTrace, activeTrace, activeTraceLogFields } from "./active-trace.js";
export { traceParentKey, traceUnaryCall, withActiveTraceHeaders } from "./client-span.js";
export { loadTracingConfig, type TracingConfig, tracingEnv, tracingEnvSchema } from "./config.js";
export { type HttpRequestInfo, type HttpServerSpan, startHttpServerSpan } from "./http-server-span.js";
export {
  type ConsumedMessage,
  type PublishedMessage,
  recordActiveSpanFailure,
  traceConsume,
  tracePublish,
} from "./messaging.js";
export {
  contextFromHeaders,
  contextFromTraceparent,
  type HeaderSource,
  hasValidSpan,
  headerSourceOf,
  traceHeadersOf,
  traceparentOf,
} from "./propagation.js";
export { defaultUntracedServices, endRpcSpan, rpcAttributes, rpcSpanName } from "./rpc-span.js";
export { createTracingInterceptor, type TracingInterceptorOptions } from "./server-interceptor.js";
export {
  instrumentationScope,
  platformTracer,
  serviceAttribute,
  serviceNameOf,
  withServiceName,
} from "./tracer.js";
export {
  type ActiveContext,
  createTracing,
  currentTracing,
  ensureTracing,
  type Tracing,
  type TracingOptions,
} from "./tracing.js";
