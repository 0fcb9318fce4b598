import { ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "./log.js";
import { observeCall } from "./observe-call.js";
import { type RequestTrace, requestLoggerKey, requestTraceKey } from "./request-context.js";
import { clientFaultCodes, codeLabel, codeOf, serverFaultCodes } from "./rpc-code.js";
import { requestHeaderValue } from "./server/fast-handler-context.js";
import { newSpanId, newTraceId, parseTraceparent } from "./trace-context.js";
import { activeTrace } from "./tracing/active-trace.js";

export { traceIdFrom } from "./trace-context.js";

export interface RequestLogOptions {
  /**
   * Services whose successful calls log at debug instead of info. Defaults to `grpc.health.v1.Health`:
   * Kubernetes and Envoy probe it every few seconds, which would otherwise drown the useful lines.
   */
  quietServices?: readonly string[];
}

/**
 * A server-side Connect interceptor that gives every call a child logger carrying `trace_id`,
 * `span_id` and `procedure` (the ids of the active SERVER span when tracing runs, so a log search and
 * the trace viewer agree), exposes it to handlers through `requestLoggerKey`, and writes exactly one line when
 * the call ends with its `code` and `duration_ms`.
 *
 * Why: one line per RPC, joinable across services by trace id, is what an on-call engineer searches
 * first. Server faults (internal, unknown, data_loss) log at error with the cause, because the client
 * only sees a generic message; overload and timeouts at warn; client faults at info, because they are
 * the caller's problem. The request message is never logged: it may hold passwords or card tokens.
 */
export function createRequestLogInterceptor(logger: Logger, options: RequestLogOptions = {}): Interceptor {
  const quiet = new Set(options.quietServices ?? ["grpc.health.v1.Health"]);
  return (next) => async (req) => {
    const trace: RequestTrace = activeTrace() ?? untracedRequest(requestHeaderValue(req, "traceparent"));
    const log = logger.child({
      trace_id: trace.traceId,
      span_id: trace.spanId,
      procedure: `/${req.service.typeName}/${req.method.name}`,
    });
    req.contextValues.set(requestLoggerKey, log);
    req.contextValues.set(requestTraceKey, trace);
    const started = performance.now();

    return observeCall(next, req, (error) => {
      const fields = {
        code: codeLabel(error),
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
      };
      if (error === undefined) {
        if (quiet.has(req.service.typeName)) log.debug(fields, "rpc finished");
        else log.info(fields, "rpc finished");
        return;
      }
      const code = codeOf(error);
      if (serverFaultCodes.has(code)) {
        log.error({ ...fields, err: causeOf(error) }, "rpc finished");
      } else if (clientFaultCodes.has(code)) {
        log.info({ ...fields, error_message: ConnectError.from(error).rawMessage }, "rpc finished");
      } else {
        log.warn({ ...fields, error_message: ConnectError.from(error).rawMessage }, "rpc finished");
      }
    });
  };
}

/**
 * The trace position of a call served without tracing set up (unit tests of interceptors): the
 * caller's trace id when its `traceparent` is valid, else a new one, and a fresh span id.
 */
function untracedRequest(traceparent: string | undefined): RequestTrace {
  const incoming = parseTraceparent(traceparent ?? null);
  return {
    traceId: incoming?.traceId ?? newTraceId(),
    spanId: newSpanId(),
    flags: incoming?.flags ?? "00",
  };
}

/** The error worth a stack trace: the original one a ConnectError wraps, if any. */
function causeOf(error: unknown): unknown {
  return error instanceof ConnectError && error.cause !== undefined ? error.cause : error;
}
