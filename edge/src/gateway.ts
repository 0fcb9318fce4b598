import type { IncomingMessage, ServerResponse } from "node:http";
import type { DescMethodUnary, Message, Registry } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Context } from "@opentelemetry/api";
import type { Logger } from "@shop/platform/log";
import { admitsAnonymously, authorize } from "./auth/authorize.js";
import type { Identity, TokenVerifier } from "./auth/token-verifier.js";
import { clientAddressOf } from "./http/client-address.js";
import { clientGoneSignal } from "./http/client-gone-signal.js";
import { describeError, HttpError, writeError } from "./http/error-response.js";
import { declaresNoBody, readJsonBody } from "./http/read-json-body.js";
import type { RequestTarget } from "./http/request-target.js";
import { singleHeader } from "./http/single-header.js";
import type { RateLimitDecision, RateLimiter } from "./rate-limit/token-bucket.js";
import type { Route, RouteMatch, RouteTable } from "./routes/route-table.js";
import { badRequest } from "./transcode/bad-request.js";
import { buildRequestMessage } from "./transcode/build-request.js";
import { buildResponseJson } from "./transcode/build-response.js";
import type { Upstreams } from "./upstreams.js";

export interface GatewayOptions {
  readonly routes: RouteTable;
  readonly registry: Registry;
  readonly upstreams: Upstreams;
  readonly verifier: TokenVerifier;
  readonly rateLimiter: RateLimiter;
  readonly bodyLimitBytes: number;
  /** Trusted proxies in front of the edge (`TRUST_PROXY`): see `clientAddressOf`. */
  readonly trustProxy: number;
  readonly logger: Logger;
}

export interface GatewayOutcome {
  /** The route template, or `unmatched`, for metrics and logs. */
  readonly route: string;
  readonly status: number;
}

/**
 * Serves one REST request through the route table: match (400 / 404 / 405), access rule (401 / 403), rate
 * limit (429, refused callers included), body (413 / 415 / 400), transcoding, the upstream gRPC call, and the JSON response or
 * error. Every step that can fail on caller input answers 4xx with the JSON error body; only edge
 * bugs are 500, logged with their cause.
 */
export function createGateway(options: GatewayOptions) {
  const { routes, registry, upstreams, verifier, rateLimiter, logger } = options;

  return async function serve(
    req: IncomingMessage,
    res: ServerResponse,
    url: RequestTarget,
    requestId: string,
    /** The request's SERVER span (the root context when untraced): the parent of the upstream call. */
    trace: Context,
  ): Promise<GatewayOutcome> {
    const match = routes.match(req.method ?? "GET", url.pathname);
    if (match.kind !== "found") {
      req.resume();
      const error = unmatchedError(match, req.method, url.pathname);
      return { route: "unmatched", status: writeError(res, error, requestId) };
    }
    const { route, bindings } = match;
    const template = route.template.source;
    if (answersPerCaller(route, req.headers.authorization)) res.setHeader("cache-control", "no-store");
    try {
      const authorization = singleHeader(req, "authorization");
      let identity: Identity | undefined;
      // A public route called without a token needs no verdict: no await, so no promise, for it.
      if (!admitsAnonymously(route.access, authorization)) {
        try {
          identity = await authorize(route.access, authorization, verifier);
        } catch (refusal) {
          // A refused caller (401, 403) spends from its address's bucket too: otherwise guessing tokens,
          // or calling a route without one, went unlimited, each request still costing a signature check.
          const bucket = bucketOf(`ip:${clientAddressOf(req, options.trustProxy)}`, route);
          enforce(req, res, rateLimiter, rateLimiter.takeNow(bucket) ?? (await rateLimiter.take(bucket)));
          throw refusal;
        }
      }
      const bucket = bucketOf(
        identity ? `user:${identity.userId}` : `ip:${clientAddressOf(req, options.trustProxy)}`,
        route,
      );
      // Awaited only when this replica holds no token of the bucket (see `takeNow`).
      enforce(req, res, rateLimiter, rateLimiter.takeNow(bucket) ?? (await rateLimiter.take(bucket)));
      const body = declaresNoBody(req) ? undefined : await readJsonBody(req, options.bodyLimitBytes);
      const idempotencyKey = singleHeader(req, "idempotency-key");
      const message = buildRequestMessage(
        route,
        { bindings, query: url.searchParams, body, idempotencyKey },
        registry,
      );

      let reply: Message;
      try {
        reply = await upstreams.callUnary(route.method as DescMethodUnary, message, {
          headers: forwardHeaders(authorization, requestId),
          signal: clientGoneSignal(req),
          trace,
        });
      } catch (error) {
        throw publicUpstreamError(error, route);
      }
      const text = JSON.stringify(buildResponseJson(route, reply, registry));
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
      return { route: template, status: 200 };
    } catch (error) {
      logFailure(logger, route, requestId, error);
      return { route: template, status: writeError(res, error, requestId) };
    }
  };
}

/** The rate-limit bucket of `client` on `route`: each client has one per route. */
function bucketOf(client: string, route: Route): string {
  return `${client}:${route.httpMethod} ${route.template.source}`;
}

/** Applies a rate-limit decision: the `RateLimit-*` headers, and 429 with `Retry-After` when refused. */
function enforce(
  req: IncomingMessage,
  res: ServerResponse,
  rateLimiter: RateLimiter,
  decision: RateLimitDecision,
): void {
  res.setHeader("ratelimit-limit", String(rateLimiter.capacity));
  res.setHeader("ratelimit-remaining", String(decision.remaining));
  if (!decision.allowed) {
    req.resume();
    const seconds = String(decision.retryAfterSeconds);
    throw new HttpError(429, "resource_exhausted", `rate limit exceeded: retry in ${seconds} s`, {
      "retry-after": seconds,
    });
  }
}

/**
 * Hides transport details (addresses, socket errors) of a failed upstream call from public clients:
 * Unavailable and DeadlineExceeded get a generic message naming the service; the full error is logged.
 * Errors the service itself raised (NotFound, InvalidArgument...) pass through unchanged.
 */
function publicUpstreamError(error: unknown, route: Route): unknown {
  const connectError = ConnectError.from(error);
  const service = route.service.name;
  if (connectError.code === Code.Unavailable) {
    return new ConnectError(
      `${service} is unavailable, try again later`,
      Code.Unavailable,
      undefined,
      undefined,
      error,
    );
  }
  if (connectError.code === Code.DeadlineExceeded) {
    return new ConnectError(
      `${service} did not answer in time`,
      Code.DeadlineExceeded,
      undefined,
      undefined,
      error,
    );
  }
  return connectError;
}

/**
 * True when the answer depends on who calls: the route needs a token, or the caller sent one. Why
 * `Cache-Control: no-store` then: a user's cart, orders, address or profile must not be written to a
 * browser's disk cache on a shared computer (shared caches already skip requests with Authorization,
 * RFC 9111 §3.5, private ones do not). Public catalog reads without a token stay cacheable.
 */
function answersPerCaller(route: Route, authorization: string | undefined): boolean {
  return route.access.kind !== "public" || authorization !== undefined;
}

/** The refusal of a request no route serves: 400 for an undecodable path, 404, or 405 with `Allow`. */
function unmatchedError(
  match: Exclude<RouteMatch, { kind: "found" }>,
  method: string | undefined,
  path: string,
): Error {
  switch (match.kind) {
    case "malformed-path":
      return badRequest(`path ${path} is not valid percent-encoded UTF-8`);
    case "not-found":
      return new HttpError(404, "not_found", `no route for ${path}`);
    case "method-not-allowed":
      return new HttpError(405, "method_not_allowed", `${method} is not allowed on ${path}`, {
        allow: match.allowed.join(", "),
      });
  }
}

/**
 * What the upstream needs to know: who calls (the token) and the request id. The trace context is
 * not set here: the platform client sends the `traceparent` of its CLIENT span, a child of this
 * request's SERVER span, which the call is handed (see `UpstreamCallOptions.trace`).
 */
function forwardHeaders(authorization: string | undefined, requestId: string): Record<string, string> {
  // A plain record: the platform client copies it into the call's `Headers` once anyway.
  return authorization ? { "x-request-id": requestId, authorization } : { "x-request-id": requestId };
}

function logFailure(logger: Logger, route: Route, requestId: string, error: unknown): void {
  const { internal, status } = describeError(error);
  if (internal) logger.error({ err: error, requestId, route: route.template.source }, "request failed");
  else if (status >= 500)
    logger.warn({ err: error, requestId, route: route.template.source }, "upstream failed");
}
