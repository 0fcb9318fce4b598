import type { DescMethodUnary, DescService, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues } from "@connectrpc/connect";
import type { Context } from "@opentelemetry/api";
import { createUpstream, type Upstream } from "@shop/platform/clients";
import type { Logger } from "@shop/platform/log";
import type { Metrics } from "@shop/platform/metrics";
import { traceParentKey } from "@shop/platform/tracing/client-span";

export interface UpstreamCallOptions {
  readonly headers: ConstructorParameters<typeof Headers>[0];
  /** Aborted when the REST client goes away, so the upstream call is cancelled too. */
  readonly signal: AbortSignal;
  /** The REST request's SERVER span: the parent of the call's CLIENT span (none: a new trace). */
  readonly trace?: Context;
}

export interface Upstreams {
  /** Upstream names with their clients, for readiness probes. */
  readonly all: readonly Upstream[];
  /**
   * Calls any unary RPC of the contracts with a message built at runtime. Why generic: the method
   * descriptors come from the descriptor set, so one function serves every route, and a new RPC needs
   * no edge code. Deadline, retries (idempotent methods only) and the breaker come from the platform.
   */
  callUnary(method: DescMethodUnary, message: Message, options: UpstreamCallOptions): Promise<Message>;
  close(): void;
}

export interface UpstreamsOptions {
  /** Upstream name (the `<domain>` of `shop.<domain>.v1`) → base URL. */
  readonly urls: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Attempts per idempotent call, the first included (UPSTREAM_RETRY_ATTEMPTS): 1 behind a sidecar. */
  readonly retryAttempts: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** The upstream that serves a service: the domain of its `shop.<domain>.v1` package. */
export function upstreamNameOf(service: DescService): string {
  return service.file.proto.package.split(".")[1] ?? service.file.proto.package;
}

/** One platform upstream (h2c connection, deadline, retry, breaker) per configured service. */
export function createUpstreams(options: UpstreamsOptions): Upstreams {
  const byName = new Map<string, Upstream>();
  for (const [name, baseUrl] of Object.entries(options.urls)) {
    byName.set(
      name,
      createUpstream({
        upstream: name,
        baseUrl,
        timeoutMs: options.timeoutMs,
        retry: { maxAttempts: options.retryAttempts },
        logger: options.logger,
        metrics: options.metrics,
      }),
    );
  }
  /** The upstream of each service called so far: the package name is not split on every call. */
  const byService = new Map<DescService, Upstream | undefined>();
  const upstreamOf = (service: DescService): Upstream | undefined => {
    if (!byService.has(service)) byService.set(service, byName.get(upstreamNameOf(service)));
    return byService.get(service);
  };
  return {
    all: [...byName.values()],
    // Not async: the transport's promise is passed on, without a wrapper promise per call.
    callUnary(method, message, { headers, signal, trace }) {
      const upstream = upstreamOf(method.parent);
      if (!upstream) {
        return Promise.reject(
          new ConnectError(`no upstream is configured for ${method.parent.typeName}`, Code.Unimplemented),
        );
      }
      return upstream.transport
        .unary(
          method,
          signal,
          undefined,
          headers,
          message,
          trace === undefined ? undefined : createContextValues().set(traceParentKey, trace),
        )
        .then(messageOf);
    },
    close() {
      for (const upstream of byName.values()) upstream.close();
    },
  };
}

function messageOf(response: { readonly message: Message }): Message {
  return response.message;
}
