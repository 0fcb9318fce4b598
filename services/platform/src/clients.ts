import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { type BreakerOptions, createUpstreamBreaker, type UpstreamBreaker } from "./breaker.js";
import { createFastGrpcTransport } from "./fast-grpc-transport.js";
import type { Logger } from "./log.js";
import type { Metrics } from "./metrics.js";
import { defaultRetryPolicy, type RetryPolicy, withRetry } from "./retry.js";
import { traceUnaryCall, withActiveTraceHeaders } from "./tracing/client-span.js";

export interface UpstreamOptions {
  /** Short name of the called service ("inventory"): used in logs, metrics and breaker errors. */
  upstream: string;
  /** Where the upstream (or its sidecar) listens, e.g. `http://127.0.0.1:8006`; h2c for http:. */
  baseUrl: string;
  /** Deadline of every call unless the call passes its own `timeoutMs`. Defaults to 2000 ms. */
  timeoutMs?: number;
  /**
   * Retry policy over the defaults. Services pass `{ maxAttempts: config.UPSTREAM_RETRY_ATTEMPTS }`:
   * `maxAttempts: 1` sends every call once, for deployments where the sidecar is the retry layer.
   */
  retry?: Partial<RetryPolicy>;
  breaker?: BreakerOptions;
  logger: Logger;
  metrics?: Metrics;
  /** Extra client interceptors, run on every attempt (after the metrics interceptor). */
  interceptors?: Interceptor[];
}

/** One upstream service: one HTTP/2 connection, one breaker, any number of typed clients. */
export interface Upstream {
  readonly name: string;
  readonly transport: Transport;
  readonly breaker: UpstreamBreaker;
  /** A typed Connect client of `service` sharing this upstream's connection and breaker. */
  client<S extends DescService>(service: S): Client<S>;
  /** Closes the HTTP/2 connection and stops the breaker; for shutdown and tests. */
  close(): void;
}

export const defaultClientTimeoutMs = 2000;

/**
 * Builds the resilient transport to one upstream: gRPC over HTTP/2 (h2c), a deadline on every call,
 * retries with backoff and full jitter for idempotent unary methods only, and one circuit breaker
 * around each whole (retried) call. Retry lives in this one layer and nowhere else, so retries never
 * multiply across layers (ARCHITECTURE §5).
 *
 * Why a Transport and not interceptors: every retry attempt must carry the *remaining* deadline in
 * its `grpc-timeout` header, and only the transport call sees the timeout before it is encoded.
 * Every unary call gets a CLIENT span whose `traceparent` travels in the request headers, so the
 * upstream's work joins the caller's trace with no code in the caller (see `traceUnaryCall`).
 */
export function createUpstream(options: UpstreamOptions): Upstream {
  const { upstream, logger, metrics } = options;
  const timeoutMs = options.timeoutMs ?? defaultClientTimeoutMs;
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const log = logger.child({ upstream });
  const sessionManager = new Http2SessionManager(options.baseUrl);
  const interceptors = [
    ...(metrics ? [metrics.clientInterceptor(upstream)] : []),
    ...(options.interceptors ?? []),
  ];
  // Unary calls (nearly all mesh traffic) take the fast transport; streams stay on connect-node.
  const inner = createFastGrpcTransport({
    baseUrl: options.baseUrl,
    interceptors,
    streams: createGrpcTransport({ baseUrl: options.baseUrl, sessionManager, interceptors }),
  });
  const breaker = createUpstreamBreaker({ upstream, options: options.breaker, logger: log, metrics });
  const ownInterceptors = (options.interceptors?.length ?? 0) > 0;

  const transport: Transport = {
    unary(method, signal, callTimeoutMs, header, input, contextValues) {
      const deadline =
        Date.now() + (callTimeoutMs !== undefined && callTimeoutMs > 0 ? callTimeoutMs : timeoutMs);
      return traceUnaryCall(method, upstream, header, contextValues, (traced) =>
        breaker.run(() =>
          withRetry(
            (attempt, remainingMs) =>
              inner.unaryWithOwnedHeader(
                method,
                signal,
                remainingMs,
                attemptHeader(traced, attempt, ownInterceptors),
                input,
                contextValues,
              ),
            {
              method,
              policy,
              deadline,
              signal,
              onRetry: ({ attempt, delayMs, error }) =>
                log.debug(
                  { procedure: `/${method.parent.typeName}/${method.name}`, attempt, delayMs, err: error },
                  "retrying call",
                ),
            },
          ),
        ),
      );
    },
    async stream(method, signal, callTimeoutMs, header, input, contextValues) {
      // Streams are not retried (their input cannot be replayed) nor counted by the breaker (their
      // outcome is not one promise), but they still fail fast while the upstream is known to be down.
      // A long-lived stream such as Health.Watch opts out of the deadline with `timeoutMs: 0`.
      breaker.throwIfOpen();
      const traced = withActiveTraceHeaders(header);
      return inner.stream(method, signal, callTimeoutMs ?? timeoutMs, traced, input, contextValues);
    },
  };

  return {
    name: upstream,
    transport,
    breaker,
    client: (service) => createClient(service, transport),
    close() {
      inner.close();
      sessionManager.abort();
      breaker.shutdown();
    },
  };
}

/**
 * Convenience for the common case of one service per upstream: a typed Connect client whose calls have
 * deadlines, safe retries and a circuit breaker. Use `createUpstream` to share one connection and one
 * breaker between several services of the same upstream, or to close the connection.
 */
export function createServiceClient<S extends DescService>(service: S, options: UpstreamOptions): Client<S> {
  return createUpstream(options).client(service);
}

/**
 * The headers of one attempt. The first takes the traced headers themselves (the transport adds its
 * `grpc-timeout` to them rather than copying them first), unless the caller's own interceptors run:
 * what they change in one attempt must not leak into the next. A retry gets a copy marked the way
 * gRPC's retry design does, so the server can tell a retry from a new call.
 */
function attemptHeader(header: Headers, attempt: number, ownInterceptors: boolean): Headers {
  if (attempt === 1 && !ownInterceptors) return header;
  const headers = new Headers(header);
  if (attempt > 1) headers.set("grpc-previous-rpc-attempts", String(attempt - 1));
  return headers;
}
