import type { IncomingHttpHeaders, ServerHttp2Stream } from "node:http2";
import {
  create,
  type DescMethod,
  type DescMethodUnary,
  type DescService,
  fromBinary,
  isMessage,
  type Message,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  type Interceptor,
  type MethodImplSpec,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { parseCappedGrpcTimeout } from "./deadline-cap.js";
import { FastHandlerContext, fastContextKey } from "./fast-handler-context.js";
import {
  decodeUnaryEnvelope,
  encodeEnvelope,
  envelopeHeaderBytes,
  respondTrailersOnly,
} from "./grpc-envelope.js";

/** The unary member of Connect's implementation-spec union. */
export type UnaryMethodSpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** A unary method the fast path can serve, with the Connect implementation spec that runs it. */
export interface UnaryRoute {
  readonly service: DescService;
  readonly method: DescMethod;
  readonly spec: UnaryMethodSpec;
}

/** A route with its interceptor chain composed once, at start-up rather than per call. */
export interface PreparedRoute extends UnaryRoute {
  readonly invoke: (request: UnaryRequest) => Promise<UnaryResponse>;
}

/** Limits and hooks shared with the Connect fallback so both paths behave the same. */
export interface GrpcUnaryOptions {
  readonly interceptors: readonly Interceptor[];
  readonly readMaxBytes: number;
  readonly writeMaxBytes: number;
  /** Longer caller deadlines are shortened to this, not refused (see `deadline-cap.ts`). */
  readonly maxTimeoutMs: number;
}

/**
 * Serves unary gRPC calls straight off an HTTP/2 stream.
 *
 * Why this exists: connect-node's universal handler serves a small unary gRPC call at about a tenth
 * of the rate of a bare `node:http2` server on this hardware, because every call goes through
 * generic async-iterable pipelines, the HTTP/2 compatibility objects and several AbortControllers.
 * Unary gRPC is almost all of the mesh's traffic, so this path reads the one envelope, decodes it
 * with protobuf-es and runs the same Connect `ServiceImpl` method through the same Connect
 * interceptors, with a lazily built `HandlerContext`. Streaming calls, compressed calls and the
 * Connect / gRPC-Web protocols still go to connect-node, so handlers never know which path ran.
 */
export function createGrpcUnaryHandler(options: GrpcUnaryOptions) {
  const { interceptors, readMaxBytes, writeMaxBytes, maxTimeoutMs } = options;
  const maxBodyBytes = readMaxBytes + envelopeHeaderBytes;

  function prepare(route: UnaryRoute): PreparedRoute {
    const method = route.method as DescMethodUnary;
    const innermost = async (request: UnaryRequest): Promise<UnaryResponse> => {
      const context = contextOf(request.contextValues);
      const output = await route.spec.impl(request.message, context);
      const message = isMessage(output, method.output) ? output : create(method.output, output);
      return new FastUnaryResponse(route.service, method, message, context);
    };
    let invoke = innermost;
    for (let i = interceptors.length - 1; i >= 0; i--) {
      invoke = (interceptors[i] as Interceptor)(invoke as never) as typeof innermost;
    }
    return { ...route, invoke };
  }

  function serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, route: PreparedRoute) {
    const contentType = headers["content-type"] ?? "application/grpc";
    const timeout = parseCappedGrpcTimeout(headerValue(headers["grpc-timeout"]), maxTimeoutMs);
    if (timeout.error) {
      respondTrailersOnly(stream, timeout.error, contentType);
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let oversize = false;
    stream.on("data", (chunk: Buffer) => {
      if (oversize) return;
      received += chunk.byteLength;
      if (received > maxBodyBytes) {
        oversize = true;
        chunks.length = 0;
        respondTrailersOnly(
          stream,
          new ConnectError(
            `request message larger than the limit of ${readMaxBytes} bytes`,
            Code.ResourceExhausted,
          ),
          contentType,
        );
        return;
      }
      chunks.push(chunk);
    });
    stream.once("end", () => {
      if (oversize) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
      void runCall(stream, headers, route, body, contentType, timeout.timeoutMs);
    });
  }

  return { prepare, serve };

  async function runCall(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    route: PreparedRoute,
    body: Buffer,
    contentType: string,
    timeoutMs: number | undefined,
  ): Promise<void> {
    const payload = decodeUnaryEnvelope(body);
    if (!(payload instanceof Uint8Array)) {
      respondTrailersOnly(stream, new ConnectError(payload.message, payload.code), contentType);
      return;
    }
    let input: Message;
    try {
      input = fromBinary(route.method.input, payload);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      respondTrailersOnly(stream, new ConnectError(`parse binary: ${reason}`, Code.Internal), contentType);
      return;
    }
    if (timeoutMs !== undefined && timeoutMs <= 0) {
      respondTrailersOnly(
        stream,
        new ConnectError("the deadline had passed on arrival", Code.DeadlineExceeded),
        contentType,
      );
      return;
    }

    const context = new FastHandlerContext({
      service: route.service,
      method: route.method,
      url: `http://${headerValue(headers[":authority"]) ?? "localhost"}${headerValue(headers[":path"]) ?? ""}`,
      rawHeader: headers,
      deadline: timeoutMs === undefined ? undefined : Date.now() + timeoutMs,
    });
    const finishEarly = (error: ConnectError, respond: boolean) => {
      if (context.aborted) return;
      context.abort(error);
      if (respond) respondTrailersOnly(stream, error, contentType);
    };
    const onClientGone = () =>
      finishEarly(new ConnectError("the client cancelled the call", Code.Canceled), false);
    stream.once("aborted", onClientGone);
    const deadlineTimer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => finishEarly(new ConnectError("the deadline expired", Code.DeadlineExceeded), true),
            timeoutMs,
          );

    try {
      const response = await route.invoke(new FastUnaryRequest(route, input, context));
      if (context.aborted) return;
      const bytes = toBinary(route.method.output, response.message);
      if (bytes.byteLength > writeMaxBytes) {
        throw new ConnectError(
          `response message of ${bytes.byteLength} bytes is larger than the limit of ${writeMaxBytes}`,
          Code.ResourceExhausted,
        );
      }
      context.abort();
      respondWithMessage(stream, contentType, bytes, context);
    } catch (error) {
      finishEarly(ConnectError.from(error, Code.Internal), true);
    } finally {
      if (deadlineTimer) clearTimeout(deadlineTimer);
      stream.off("aborted", onClientGone);
    }
  }
}

function respondWithMessage(
  stream: ServerHttp2Stream,
  contentType: string,
  bytes: Uint8Array,
  context: FastHandlerContext,
): void {
  if (stream.destroyed || stream.closed) return;
  const outHeaders: Record<string, string> = { ":status": "200", "content-type": contentType };
  context.responseHeaderIfSet?.forEach((value, key) => {
    outHeaders[key] = value;
  });
  stream.respond(outHeaders, { waitForTrailers: true });
  stream.once("wantTrailers", () => {
    const trailers: Record<string, string> = { "grpc-status": "0" };
    context.responseTrailerIfSet?.forEach((value, key) => {
      trailers[key] = value;
    });
    stream.sendTrailers(trailers);
  });
  stream.end(encodeEnvelope(bytes));
}

function contextOf(values: ContextValues): FastHandlerContext {
  const context = values.get(fastContextKey);
  if (!context) throw new ConnectError("an interceptor replaced the call's context values", Code.Internal);
  return context;
}

/**
 * The `UnaryRequest` interceptors see. Its signal and headers are getters, so an interceptor that
 * never reads them never pays for them.
 */
class FastUnaryRequest implements UnaryRequest {
  readonly stream = false as const;
  readonly requestMethod = "POST";
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly message: Message;
  readonly url: string;
  readonly contextValues: ContextValues;
  readonly #context: FastHandlerContext;

  constructor(route: UnaryRoute, message: Message, context: FastHandlerContext) {
    this.service = route.service;
    this.method = route.method as DescMethodUnary;
    this.message = message;
    this.url = context.url;
    this.#context = context;
    this.contextValues = context.values;
    context.values.set(fastContextKey, context);
  }

  get signal(): AbortSignal {
    return this.#context.signal;
  }

  get header(): Headers {
    return this.#context.requestHeader;
  }
}

class FastUnaryResponse implements UnaryResponse {
  readonly stream = false as const;
  readonly #context: FastHandlerContext;

  constructor(
    readonly service: DescService,
    readonly method: DescMethodUnary,
    readonly message: Message,
    context: FastHandlerContext,
  ) {
    this.#context = context;
  }

  get header(): Headers {
    return this.#context.responseHeader;
  }

  get trailer(): Headers {
    return this.#context.responseTrailer;
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}
