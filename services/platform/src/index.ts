// The public API of @shop/platform. Test helpers are in "@shop/platform/testing", not here.

export {
  type BreakerOptions,
  createUpstreamBreaker,
  defaultBreakerOptions,
  type UpstreamBreaker,
} from "./breaker.js";
export {
  createServiceClient,
  createUpstream,
  defaultClientTimeoutMs,
  type Upstream,
  type UpstreamOptions,
} from "./clients.js";
export {
  ConfigError,
  commonServiceEnv,
  type DeepReadonly,
  durationMsVar,
  logLevelVar,
  parseConfig,
  portVar,
  urlVar,
} from "./config.js";
export { createLogger, type Logger, type LoggerOptions, secretKeys } from "./log.js";
export {
  type BreakerState,
  createMetrics,
  type Metrics,
  type MetricsOptions,
  rpcDurationBuckets,
} from "./metrics.js";
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from "./metrics-server.js";
export { createPostgres, migrate, type Postgres, type PostgresOptions } from "./postgres.js";
export { type RequestTrace, requestLoggerKey, requestTraceKey, traceHeaders } from "./request-context.js";
export { createRequestLogInterceptor, type RequestLogOptions } from "./request-log.js";
export {
  backoffDelayMs,
  defaultRetryPolicy,
  isRetryable,
  type RetryPolicy,
  retryableCodes,
  withRetry,
} from "./retry.js";
export { clientFaultCodes, codeLabel, codeOf, serverFaultCodes } from "./rpc-code.js";
export {
  type SignalTarget,
  type StopOnSignalsOptions,
  type Stoppable,
  stopOnSignals,
} from "./server/signals.js";
export { type ServiceRuntime, type ServiceRuntimeOptions, startServiceRuntime } from "./service-runtime.js";
export {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  type TraceParent,
  traceIdFrom,
} from "./trace-context.js";
