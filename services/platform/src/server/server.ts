import http from "node:http";
import http2, { type IncomingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import net, { type AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createServiceImplSpec,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health } from "@shop/gen/health/v1/health_pb";
import type { Logger } from "pino";
import { capDeadlineHeaders } from "./deadline-cap.js";
import { respondTrailersOnly } from "./grpc-envelope.js";
import { createGrpcUnaryHandler, type PreparedRoute } from "./grpc-unary-fast-path.js";
import { createHealthRegistry, type HealthRegistry, ServingStatus } from "./health.js";
import { createInternalErrorInterceptor } from "./internal-error-interceptor.js";
import { createReflectionServices } from "./reflection.js";

/** A service descriptor with its Connect implementation; build one with {@link serviceImpl}. */
export interface ServiceRegistration {
  readonly service: DescService;
  readonly impl: object;
}

/** Pairs a generated service descriptor with its implementation, type-checked against the contract. */
export function serviceImpl<T extends DescService>(
  service: T,
  impl: Partial<ServiceImpl<T>>,
): ServiceRegistration {
  return { service, impl };
}

export interface GrpcServerOptions {
  /** TCP port; 0 picks a free one (tests). */
  readonly port: number;
  readonly host?: string;
  readonly services: readonly ServiceRegistration[];
  readonly logger: Logger;
  /** Connect interceptors, outermost first (request log, metrics, auth). Run on every protocol. */
  readonly interceptors?: readonly Interceptor[];
  /** Largest request message accepted; larger ones get RESOURCE_EXHAUSTED. gRPC's usual 4 MiB. */
  readonly readMaxBytes?: number;
  readonly writeMaxBytes?: number;
  /**
   * Upper bound on a caller's deadline, so a client cannot pin resources forever. A longer deadline
   * is not refused: the call runs with this as its deadline, as gRPC servers are expected to do.
   */
  readonly maxTimeoutMs?: number;
  /** How long health reports NOT_SERVING before connections are closed, so probes and balancers notice. */
  readonly drainDelayMs?: number;
  /** How long in-flight calls may take to finish after draining starts before they are cancelled. */
  readonly shutdownGraceMs?: number;
  /** Run after the last call ends, in order: close stores, consumers, pools. */
  readonly onShutdown?: ReadonlyArray<() => unknown>;
}

export interface GrpcServer {
  readonly port: number;
  readonly health: HealthRegistry;
  /** Graceful stop: NOT_SERVING, drain, finish in-flight calls, run the shutdown hooks. Idempotent. */
  shutdown(): Promise<void>;
}

const fourMiB = 4 * 1024 * 1024;

/**
 * Serves Connect service implementations on one port, for every client the mesh has:
 * gRPC over h2c (other teams' grpc-js / grpc-go clients, Envoy, grpcurl), and Connect and gRPC-Web
 * over HTTP/1.1 or HTTP/2 (browsers, curl). Every server also carries `grpc.health.v1.Health` and
 * `grpc.reflection.v1` + `v1alpha`.
 *
 * Unary gRPC calls take a fast path ({@link createGrpcUnaryHandler}); everything else goes to
 * connect-node. Plain-text HTTP/1.1 and HTTP/2 share the port by sniffing the HTTP/2 preface.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const { logger } = options;
  const readMaxBytes = options.readMaxBytes ?? fourMiB;
  const writeMaxBytes = options.writeMaxBytes ?? fourMiB;
  const maxTimeoutMs = options.maxTimeoutMs ?? 5 * 60_000;
  const interceptors = [...(options.interceptors ?? []), createInternalErrorInterceptor(logger)];
  const shutdownController = new AbortController();

  const health = createHealthRegistry();
  const reflection = createReflectionServices([...options.services.map((s) => s.service), Health]);
  const registrations: ServiceRegistration[] = [
    ...options.services,
    serviceImpl(Health, health.impl),
    reflection.v1,
    reflection.v1alpha,
  ];

  const fastPath = createGrpcUnaryHandler({ interceptors, readMaxBytes, writeMaxBytes, maxTimeoutMs });
  const unaryRoutes = new Map<string, PreparedRoute>();
  const knownPaths = new Set<string>();
  for (const registration of registrations) {
    const spec = createServiceImplSpec(registration.service, registration.impl);
    for (const method of registration.service.methods) {
      const path = `/${registration.service.typeName}/${method.name}`;
      knownPaths.add(path);
      const methodSpec = spec.methods[method.localName];
      if (methodSpec?.kind === "unary") {
        unaryRoutes.set(path, fastPath.prepare({ service: registration.service, method, spec: methodSpec }));
      }
    }
  }

  const connectHandler = connectNodeAdapter({
    routes(router) {
      for (const { service, impl } of registrations) router.service(service, impl);
    },
    interceptors,
    readMaxBytes,
    writeMaxBytes,
    // No maxTimeoutMs here: connect-es would refuse longer deadlines. capDeadlineHeaders caps them.
    shutdownSignal: shutdownController.signal,
  });
  /** connect-node, for every protocol and both HTTP versions, behind the deadline cap. */
  const serveConnect: typeof connectHandler = (request, response) => {
    capDeadlineHeaders(request.headers, maxTimeoutMs);
    connectHandler(request, response);
  };

  let inflight = 0;
  let onIdle: (() => void) | undefined;
  const sessions = new Set<ServerHttp2Session>();

  function dispatch(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    _flags: number,
    rawHeaders: string[],
  ) {
    inflight++;
    stream.once("close", () => {
      inflight--;
      if (inflight === 0) onIdle?.();
    });
    stream.on("error", (error) => logger.debug({ err: error }, "http/2 stream error"));
    const contentType = headers["content-type"];
    if (contentType === "application/grpc" || contentType === "application/grpc+proto") {
      const path = headers[":path"] ?? "";
      const route = unaryRoutes.get(path);
      const encoding = headers["grpc-encoding"];
      if (route && (encoding === undefined || encoding === "identity")) {
        fastPath.serve(stream, headers, route);
        return;
      }
      if (!knownPaths.has(path)) {
        stream.resume();
        respondTrailersOnly(
          stream,
          new ConnectError(`unknown method ${path}`, Code.Unimplemented),
          contentType,
        );
        return;
      }
    }
    const request = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const response = new http2.Http2ServerResponse(stream);
    serveConnect(request, response);
  }

  const h2 = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
  h2.on("stream", dispatch);
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", (error) => logger.debug({ err: error }, "http/2 session error"));
  });
  const h1 = http.createServer((req, res) => {
    inflight++;
    res.once("close", () => {
      inflight--;
      if (inflight === 0) onIdle?.();
    });
    serveConnect(req, res);
  });
  const tcp = net.createServer((socket) => routeConnection(socket, h2, h1));

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host ?? "0.0.0.0", () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const port = (tcp.address() as AddressInfo).port;
  health.set("", ServingStatus.SERVING);
  for (const { service } of options.services) health.set(service.typeName, ServingStatus.SERVING);
  logger.info(
    { port, services: options.services.map((s) => s.service.typeName) },
    "serving gRPC, Connect and gRPC-Web",
  );

  let stopping: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    stopping ??= (async () => {
      health.markAllNotServing();
      logger.info({ inflight }, "shutting down: health NOT_SERVING, draining");
      await delay(options.drainDelayMs ?? 0);
      health.close();
      tcp.close();
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
      const drained =
        inflight === 0 ||
        (await Promise.race([
          new Promise<boolean>((resolve) => {
            onIdle = () => resolve(true);
          }),
          delay(options.shutdownGraceMs ?? 10_000, false),
        ]));
      if (!drained) {
        logger.warn({ inflight }, "grace period over: cancelling the calls still running");
        shutdownController.abort(new ConnectError("server is shutting down", Code.Unavailable));
        for (const session of sessions) session.destroy();
        h1.closeAllConnections();
      }
      for (const hook of options.onShutdown ?? []) {
        try {
          await hook();
        } catch (error) {
          logger.error({ err: error }, "shutdown hook failed");
        }
      }
      logger.info("stopped");
    })();
    return stopping;
  }

  return { port, health, shutdown };
}

/** The first bytes of every HTTP/2 prior-knowledge connection. */
const http2Preface = Buffer.from("PRI * HTTP/2.0");

/**
 * Hands a fresh plain-text connection to the HTTP/2 or the HTTP/1.1 server by peeking at its first
 * bytes. gRPC clients speak h2c with prior knowledge; browsers and plain curl speak HTTP/1.1. One
 * port for both keeps service addresses simple for every kind of caller.
 */
function routeConnection(socket: net.Socket, h2: http2.Http2Server, h1: http.Server): void {
  socket.once("readable", () => {
    const head: Buffer | null = socket.read();
    if (head === null) {
      socket.destroy();
      return;
    }
    socket.unshift(head);
    const prefix = head.subarray(0, Math.min(head.length, http2Preface.length));
    const target = http2Preface.subarray(0, prefix.length).equals(prefix) ? h2 : h1;
    target.emit("connection", socket);
  });
  socket.on("error", () => socket.destroy());
}
