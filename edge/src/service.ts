import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
import { createKeySet } from "@shop/platform/auth/key-set";
import { createTokenVerifier } from "@shop/platform/auth/token-verifier";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { startHttpServerSpan } from "@shop/platform/tracing/http-server-span";
import { headerSourceOf } from "@shop/platform/tracing/propagation";
import { ensureTracing } from "@shop/platform/tracing/tracing";
import { Redis } from "ioredis";
import type { TokenVerifier } from "./auth/token-verifier.js";
import { createUserServiceKeySource } from "./auth/user-service-keys.js";
import { type EdgeConfig, upstreamUrls } from "./config.js";
import { type Contracts, loadContractsFile } from "./descriptors.js";
import { createGateway } from "./gateway.js";
import { createClientErrorHandler } from "./http/client-error.js";
import { createConnectMethodHandler } from "./http/connect-method.js";
import { createCors } from "./http/cors.js";
import { HttpError, writeError } from "./http/error-response.js";
import { createHttpMetrics } from "./http/http-metrics.js";
import { requestIdOf } from "./http/request-id.js";
import { parseRequestTarget } from "./http/request-target.js";
import { servedMethods } from "./http/served-methods.js";
import { renderDocsPage } from "./openapi/docs-page.js";
import { createOpenApiDocument } from "./openapi/openapi-document.js";
import { createRateLimiter } from "./rate-limit/token-bucket.js";
import { checkReadiness } from "./readiness.js";
import { createRouteTable } from "./routes/route-table.js";
import { createUpstreams } from "./upstreams.js";

/** What tests (or `npm start`) may supply instead of the defaults built from the config. */
export interface EdgeDeps {
  readonly logger?: Logger;
  /** Defaults to the platform verifier over the user service's public keys. */
  readonly verifier?: TokenVerifier;
  /** Defaults to a client of REDIS_URL; a given client is not closed on shutdown. */
  readonly redis?: Redis;
  /** Defaults to `gen/descriptors.binpb`. */
  readonly contracts?: Contracts;
}

export interface Edge {
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes upstreams. */
  shutdown(): Promise<void>;
}

const readinessTimeoutMs = 1000;

/** Probe and scrape endpoints: called every few seconds by machines, so they get no spans. */
const untracedPaths: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);

/** Outcomes whose `route` is not a route template, so they must not become `http.route`. */
const unroutedOutcomes: ReadonlySet<string> = new Set(["unmatched", "preflight"]);
const redisConnectTimeoutMs = 2000;

/** Resolves once `redis` is ready, or after `timeoutMs` with a warning (the limiter then fails open). */
async function waitForRedis(redis: Redis, timeoutMs: number, logger: Logger): Promise<void> {
  if (redis.status === "ready") return;
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => redis.once("ready", () => resolve(true))),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!ready) logger.warn("redis not reachable at start-up: rate limits fail open until it is");
}

/**
 * Starts the edge gateway: the REST→gRPC routes from the contracts plus `/healthz`, `/readyz`,
 * `/metrics`, `/openapi.json` and `/docs`, on one keep-alive HTTP/1.1 server. Everything is built
 * once here (route table, OpenAPI document, upstream connections) so a request does no set-up work.
 */
export async function startEdge(config: EdgeConfig, deps: EdgeDeps = {}): Promise<Edge> {
  // Explicit parents: each request's one upstream call is handed its SERVER span's context, so the
  // edge needs no AsyncLocalStorage (and none of its per-promise cost).
  const tracing = ensureTracing("edge", undefined, "explicit");
  const logger = deps.logger ?? createLogger({ service: "edge", level: config.LOG_LEVEL });
  const contracts = deps.contracts ?? loadContractsFile();
  const routes = createRouteTable(contracts.services);
  const metrics = createMetrics({ service: "edge" });
  const httpMetrics = createHttpMetrics(metrics.registry);
  const upstreams = createUpstreams({
    urls: upstreamUrls(config),
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    retryAttempts: config.UPSTREAM_RETRY_ATTEMPTS,
    logger,
    metrics,
  });
  const verifier =
    deps.verifier ??
    createTokenVerifier({
      keys: createKeySet({ fetchKeys: createUserServiceKeySource(contracts.services, upstreams) }),
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
  // No auto-pipelining: at half of saturation a tick seldom holds two requests, so it batched little,
  // while its per-tick pipelines were a third of all that survived the edge's young-generation
  // collections (V8's allocation sampler), and with it the edge's added p99 was about twice as long.
  const redis =
    deps.redis ??
    new Redis(config.REDIS_URL, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: false,
    });
  redis.on("error", (error) => logger.debug({ err: error }, "redis connection error"));
  // The offline queue is off, so until the connection is up every bucket fails open: wait for it
  // (bounded) before serving, so a fresh edge enforces limits from its first request.
  if (!deps.redis) await waitForRedis(redis, redisConnectTimeoutMs, logger);
  const rateLimiter = createRateLimiter({
    redis,
    keyPrefix: config.RATE_LIMIT_KEY_PREFIX,
    capacity: config.RATE_LIMIT_CAPACITY,
    refillPerSecond: config.RATE_LIMIT_REFILL_PER_SECOND,
    logger,
  });
  const gateway = createGateway({
    routes,
    registry: contracts.registry,
    upstreams,
    verifier,
    rateLimiter,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    logger,
  });
  const methods = servedMethods(routes.routes.map((route) => route.httpMethod));
  const cors = createCors(config.CORS_ALLOWED_ORIGINS, methods);
  const openApiText = JSON.stringify(createOpenApiDocument(routes.routes));
  const docsPage = renderDocsPage();

  /** The edge's own GET (and HEAD) endpoints, by path; looked up before any await, as most requests miss. */
  const builtins = new Map<string, (res: ServerResponse) => void | Promise<void>>([
    [
      "/healthz",
      (res) => send(res, 200, "application/json; charset=utf-8", JSON.stringify({ status: "ok" })),
    ],
    [
      "/readyz",
      async (res) => {
        const readiness = await checkReadiness(upstreams.all, readinessTimeoutMs);
        send(res, readiness.ready ? 200 : 503, "application/json; charset=utf-8", JSON.stringify(readiness));
      },
    ],
    ["/metrics", async (res) => send(res, 200, metrics.registry.contentType, await metrics.render())],
    ["/openapi.json", (res) => send(res, 200, "application/json; charset=utf-8", openApiText)],
    [
      "/docs",
      (res) => {
        res.setHeader(
          "content-security-policy",
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        );
        send(res, 200, "text/html; charset=utf-8", docsPage);
      },
    ],
  ]);

  // requireHostHeader: false, because the edge makes that check itself (see lacksHost).
  const serverOptions = { keepAlive: true, requestTimeout: 60_000, requireHostHeader: false };
  const server: Server = createServer(serverOptions, (req, res) => {
    const started = performance.now();
    const requestId = requestIdOf(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    const method = req.method ?? "GET";
    const target = req.url ?? "/";
    const queryStart = target.indexOf("?");
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    // Each REST request is a SERVER span (parented by an incoming traceparent); its upstream call is
    // handed the span's context, so the platform client's CLIENT span becomes its child.
    const span = untracedPaths.has(path)
      ? undefined
      : startHttpServerSpan({ service: "edge", method, path, headers: headerSourceOf(req.headers) });
    const spanContext = span?.span.spanContext();
    const finish = (route: string, status: number) => {
      const seconds = (performance.now() - started) / 1000;
      httpMetrics.observe(route, method, status, seconds);
      span?.end(unroutedOutcomes.has(route) ? undefined : route, status);
      logger.info(
        // One object literal (pino leaves out the undefined ids): spreading the ids into it made an
        // object that cost pino about 4.5 µs more to serialize, doubling the call.
        {
          trace_id: spanContext?.traceId,
          span_id: spanContext?.spanId,
          requestId,
          method,
          route,
          status,
          durationMs: Math.round(seconds * 1e4) / 10,
        },
        "request",
      );
    };
    handle(req, res, requestId, span?.context ?? ROOT_CONTEXT).then(
      ({ route, status }) => finish(route, status),
      (error: unknown) => {
        logger.error({ err: error, requestId }, "request failed");
        if (!res.headersSent) writeError(res, error, requestId);
        else res.destroy();
        finish("unmatched", 500);
      },
    );
  });

  // A client may half-close once its request is sent (`Connection: close` clients, `nc -N`): by
  // default Node then ended the connection at once and the answer of any request still being served
  // (an upstream call, a token check) was never written. With this, the answer is written and the
  // connection closed after it. Why a property: Node's http.Server has no constructor option for it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  server.on("clientError", createClientErrorHandler(logger));
  server.on("checkExpectation", (req, res) => {
    // Node's default answers an Expect other than 100-continue with a bodiless 417.
    req.resume();
    const requestId = requestIdOf(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    const error = new HttpError(417, "expectation_failed", "the edge only understands Expect: 100-continue");
    logger.info({ requestId, method: req.method, status: writeError(res, error, requestId) }, "request");
  });
  server.on("connect", createConnectMethodHandler(logger, methods));

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, trace: Context) {
    const hostProblem = hostHeaderProblem(req);
    if (hostProblem) {
      req.resume();
      const error = new HttpError(400, "invalid_argument", hostProblem, { connection: "close" });
      return { route: "unmatched", status: writeError(res, error, requestId) };
    }
    if (cors.handle(req, res)) return { route: "preflight", status: 204 };
    const url = parseRequestTarget(req.url ?? "/");
    if (!url) {
      req.resume();
      return {
        route: "unmatched",
        status: writeError(
          res,
          new HttpError(
            400,
            "invalid_argument",
            "malformed URL: not a path, or a percent-escape that is not % and two hex digits spelling UTF-8",
          ),
          requestId,
        ),
      };
    }
    const builtin = builtins.get(url.pathname);
    if (builtin) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        req.resume();
        const error = new HttpError(
          405,
          "method_not_allowed",
          `${req.method} is not allowed on ${url.pathname}`,
          {
            allow: "GET, HEAD",
          },
        );
        return { route: url.pathname, status: writeError(res, error, requestId) };
      }
      await builtin(res);
      return { route: url.pathname, status: res.statusCode };
    }
    return gateway(req, res, url, requestId, trace);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.EDGE_PORT, config.EDGE_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, routes: routes.routes.length }, "edge listening");

  let stopping: Promise<void> | undefined;
  return {
    port,
    shutdown() {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS);
        await closed;
        clearTimeout(grace);
        upstreams.close();
        rateLimiter.close();
        if (!deps.redis) redis.disconnect();
        await tracing
          .forceFlush()
          .catch((error: unknown) => logger.warn({ err: error }, "span flush failed"));
        logger.info("edge stopped");
      })();
      return stopping;
    },
  };
}

/**
 * A `Host` value: a host name, IPv4 or bracketed IP literal, with an optional port (RFC 9110 §7.2 and
 * RFC 3986 §3.2.2), or empty. Anything else (`a b`, `a/b`) is no authority at all.
 */
const validHost = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?$/;

/**
 * What is wrong with the request's Host header, if anything: missing in HTTP/1.1, sent more than
 * once, or not an authority, each a 400 that RFC 9112 §3.2 requires. Why the edge checks rather
 * than Node: Node answers a missing Host with an empty body (every other refusal of the edge is the
 * JSON error body with a request id that clients and logs rely on), and it lets repeated or
 * malformed ones through (it keeps the first of several).
 */
function hostHeaderProblem(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (host === undefined) {
    return req.httpVersionMajor === 1 && req.httpVersionMinor === 1
      ? "an HTTP/1.1 request must carry a Host header"
      : undefined;
  }
  if (!validHost.test(host)) return "the Host header is not a host name or address with an optional port";
  let hosts = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === "host") hosts++;
  }
  return hosts > 1 ? "the request carries more than one Host header" : undefined;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
