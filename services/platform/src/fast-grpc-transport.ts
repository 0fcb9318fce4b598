import {
  create,
  type DescMessage,
  type DescMethodUnary,
  fromBinary,
  isMessage,
  type Message,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextValues,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { codeFromHttpStatus, findTrailerError, parseTimeout } from "@connectrpc/connect/protocol-grpc";
import { unwatchAbort, watchAbort } from "./abort-watchers.js";
import {
  type ClientStream,
  H2cConnection,
  type StreamFailure,
  type StreamListener,
} from "./h2c/connection.js";
import { ErrorCode } from "./h2c/frames.js";
import type { HeaderField } from "./h2c/header-decoder.js";

export interface FastGrpcTransportOptions {
  /** `http://host:port` of the upstream (h2c, prior knowledge). */
  readonly baseUrl: string;
  /** Connect interceptors, outermost first; they see the same requests as with connect-node. */
  readonly interceptors?: readonly Interceptor[];
  /** Streaming calls (rare in the mesh: Health.Watch, reflection) go to this transport. */
  readonly streams: Pick<Transport, "stream">;
  /** Largest response message accepted. */
  readonly readMaxBytes?: number;
  /** After a call times out, how long the connection may stay silent to a PING before it is dropped. */
  readonly pingTimeoutMs?: number;
}

/** The transport plus a way to drop its connection. */
export interface FastGrpcTransport extends Transport {
  /**
   * `unary` for a caller that gives its `Headers` away (the platform client, whose headers are made
   * afresh for each attempt): they become the request's headers as they are, with `grpc-timeout`
   * added, instead of being copied first as `unary` copies whatever a caller passes.
   */
  unaryWithOwnedHeader<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: Headers,
    input: MessageInitShape<I>,
    contextValues?: ContextValues,
  ): Promise<UnaryResponse<I, O>>;
  close(): void;
}

/**
 * The signal of calls made without one. Nothing can abort it, so calls do not listen to it: every
 * concurrent call adding a listener to this one shared signal made Node warn of a listener leak
 * (MaxListenersExceededWarning) as soon as eleven were in flight.
 */
const neverAborted = new AbortController().signal;

/** Request headers that HTTP/2 forbids or that this transport sets itself (RFC 9113 §8.2.2). */
const headersNotForwarded = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "te",
  "content-type",
]);

/**
 * A Connect `Transport` whose unary calls go straight onto one h2c connection (`H2cConnection`):
 * one envelope written, one read, protobuf-es on both ends.
 *
 * Why: connect-node's gRPC transport pushes every unary call through generic async-iterable
 * pipelines, several AbortControllers and the fetch `Headers` class, on a `node:http2` session
 * whose per-stream garbage dominates the caller's tail latency (see `H2cConnection`); in the mesh,
 * where the edge and the saga make one upstream call per request, that client cost is as large as
 * the server's. Callers keep the typed Connect client API, interceptors and `ConnectError`
 * semantics; streaming calls are delegated unchanged.
 */
export function createFastGrpcTransport(options: FastGrpcTransportOptions): FastGrpcTransport {
  const base = new URL(options.baseUrl);
  if (base.protocol !== "http:") {
    throw new Error(
      `the fast gRPC transport speaks h2c only (http://), not ${base.protocol} (${options.baseUrl})`,
    );
  }
  const host = base.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(base.port || 80);
  const pathPrefix = base.pathname.replace(/\/$/, "");
  const readMaxBytes = options.readMaxBytes ?? 4 * 1024 * 1024;
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  let connection: H2cConnection | undefined;
  const baseUrl = options.baseUrl.replace(/\/$/, "");
  const addresses = new WeakMap<DescMethodUnary, { readonly path: string; readonly url: string }>();
  /** The `:path` and URL of a method, made once per method rather than on every call. */
  function addressOf(method: DescMethodUnary): { readonly path: string; readonly url: string } {
    let address = addresses.get(method);
    if (!address) {
      const procedure = `/${method.parent.typeName}/${method.name}`;
      address = { path: `${pathPrefix}${procedure}`, url: `${baseUrl}${procedure}` };
      addresses.set(method, address);
    }
    return address;
  }

  function currentConnection(): H2cConnection {
    if (connection?.acceptsStreams) return connection;
    const fresh = new H2cConnection(host, port);
    fresh.onRetire = () => {
      if (connection === fresh) connection = undefined;
    };
    connection = fresh;
    return fresh;
  }

  const exchangeSettings: ExchangeSettings = { readMaxBytes, pingTimeoutMs, connection: currentConnection };

  /** Sends one unary call; may throw, which `unaryCall` turns into a rejection. */
  function send(request: UnaryRequest): Promise<UnaryResponse> {
    const method = request.method;
    const payload = toBinary(method.input, request.message);
    const framed = Buffer.allocUnsafe(5 + payload.byteLength);
    framed[0] = 0;
    framed.writeUInt32BE(payload.byteLength, 1);
    framed.set(payload, 5);

    const fields: [string, string][] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", addressOf(method).path],
      [":authority", base.host],
      ["content-type", "application/grpc+proto"],
      ["te", "trailers"],
    ];
    request.header.forEach((value, key) => {
      if (!headersNotForwarded.has(key)) fields.push([key, value]);
    });

    // The deadline is the `grpc-timeout` header the call sends (an interceptor may have changed it):
    // one timer here instead of a deadline AbortSignal merged with the caller's on every call.
    const timeout = parseTimeout(request.header.get("grpc-timeout"), Number.MAX_SAFE_INTEGER);
    if (timeout.error) throw timeout.error;

    return new Promise<UnaryResponse>((resolve, reject) =>
      new UnaryExchange(exchangeSettings, method, request.signal, fields, framed, resolve, reject).begin(
        timeout.timeoutMs,
      ),
    );
  }

  let invoke = send as (request: UnaryRequest) => Promise<UnaryResponse>;
  const interceptors = options.interceptors ?? [];
  for (let i = interceptors.length - 1; i >= 0; i--) {
    invoke = (interceptors[i] as Interceptor)(invoke as never) as typeof invoke;
  }

  /**
   * Sends one unary call with `header` as its request headers (the caller's own or a copy). Not
   * async, to save a promise per call; a synchronous throw (an input `create` rejects, a message
   * `toBinary` cannot encode) still reaches the caller as a rejection.
   */
  function unaryCall<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    header: Headers,
    input: MessageInitShape<I>,
    contextValues: ContextValues | undefined,
  ): Promise<UnaryResponse<I, O>> {
    try {
      if (timeoutMs !== undefined && timeoutMs > 0) {
        header.set("grpc-timeout", `${Math.max(1, Math.ceil(timeoutMs))}m`);
      }
      return invoke({
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: addressOf(method).url,
        header,
        contextValues: contextValues ?? createContextValues(),
        signal: signal ?? neverAborted,
        message: isMessage(input, method.input) ? input : create(method.input, input as never),
      } as UnaryRequest) as Promise<UnaryResponse<I, O>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      return unaryCall(method, signal, timeoutMs, new Headers(header), input, contextValues);
    },
    unaryWithOwnedHeader: unaryCall,
    stream: (...args) => options.streams.stream(...args),
    close() {
      connection?.close();
      connection = undefined;
    },
  };
}

/** What an exchange needs of its transport. */
interface ExchangeSettings {
  readonly readMaxBytes: number;
  readonly pingTimeoutMs: number;
  /** The transport's open connection, a new one if it has none that takes streams. */
  connection(): H2cConnection;
}

/**
 * One unary call on the wire: the listener of its HTTP/2 stream, its deadline and its settlement.
 * Why one object: as closures, a call's listener, deadline, abort handler and settlement were about
 * ten functions allocated on every call; here they are methods, and the call is one allocation.
 */
class UnaryExchange implements StreamListener {
  private responseFields: HeaderField[] | undefined;
  private trailerFields: HeaderField[] | undefined;
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private settled = false;
  private resent = false;
  private stream: ClientStream | undefined;
  private streamConnection: H2cConnection | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Bound once: it is what the signal's watchers hold, and what is unwatched at the end. */
  private readonly onAbort = () => this.finish(ConnectError.from(this.signal.reason, Code.Canceled));

  constructor(
    private readonly settings: ExchangeSettings,
    private readonly method: DescMethodUnary,
    private readonly signal: AbortSignal,
    private readonly fields: ReadonlyArray<readonly [string, string]>,
    private readonly framed: Buffer,
    private readonly resolve: (response: UnaryResponse) => void,
    private readonly reject: (error: ConnectError) => void,
  ) {}

  /** Sends the request, with a deadline of `timeoutMs` if given; unless the signal has already aborted. */
  begin(timeoutMs: number | undefined): void {
    if (this.signal.aborted) {
      this.onAbort();
      return;
    }
    if (this.signal !== neverAborted) watchAbort(this.signal, this.onAbort);
    if (timeoutMs !== undefined) this.deadlineTimer = setTimeout(expire, timeoutMs, this);
    this.start();
  }

  /** The deadline passed: the call fails, and a connection that stays silent to a PING is dropped. */
  expire(): void {
    this.finish(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    this.streamConnection?.checkAlive(this.settings.pingTimeoutMs);
  }

  onHeaders(headerFields: HeaderField[], endStream: boolean): void {
    if (this.settled) return;
    if (this.responseFields === undefined) {
      if (statusOf(headerFields).startsWith("1")) return; // informational: the response follows
      this.responseFields = headerFields;
    } else this.trailerFields = headerFields;
    if (endStream) this.complete();
  }

  onData(chunk: Buffer, endStream: boolean): void {
    if (this.settled) return;
    this.received += chunk.byteLength;
    if (this.received > this.settings.readMaxBytes + 5) {
      this.finish(
        new ConnectError(`response larger than ${this.settings.readMaxBytes} bytes`, Code.ResourceExhausted),
      );
      return;
    }
    this.chunks.push(chunk);
    if (endStream) this.complete();
  }

  onFailure(failure: StreamFailure): void {
    if (this.settled) return;
    // A request the upstream never processed (GOAWAY, REFUSED_STREAM) may go once more, on a new
    // connection, whatever the method: it cannot have had an effect (RFC 9113 §8.7).
    if (failure.kind === "refused" && !this.resent) {
      this.resent = true;
      this.start();
      return;
    }
    this.finish(errorForFailure(failure));
  }

  private start(): void {
    this.streamConnection = this.settings.connection();
    this.stream = this.streamConnection.request(this.fields, this.framed, this);
  }

  private complete(): void {
    const result = readResponse(
      this.method,
      this.responseFields ?? [],
      this.trailerFields,
      this.chunks,
      this.received,
    );
    if (result instanceof ConnectError) this.finish(result);
    else this.finish(undefined, result);
  }

  private finish(error: ConnectError | undefined, result?: UnaryResponse): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.deadlineTimer);
    unwatchAbort(this.signal, this.onAbort);
    if (error) {
      this.stream?.cancel();
      this.reject(error);
    } else this.resolve(result as UnaryResponse);
  }
}

/** A timer's callback for an exchange's deadline; module-level, so no closure is made per call. */
function expire(exchange: UnaryExchange): void {
  exchange.expire();
}

/** The unary response, or the error it carries: trailers-only responses hold the status in the headers. */
function readResponse(
  method: DescMethodUnary,
  responseFields: HeaderField[],
  trailerFields: HeaderField[] | undefined,
  chunks: Buffer[],
  received: number,
): UnaryResponse | ConnectError {
  const statusFields = trailerFields ?? responseFields;
  const grpcStatus = fieldValue(statusFields, "grpc-status");
  if (grpcStatus === undefined) {
    const status = Number(statusOf(responseFields));
    if (status !== 200) return new ConnectError(`HTTP ${status}`, codeFromHttpStatus(status));
    return new ConnectError("the upstream sent no grpc-status", Code.Internal);
  }
  if (grpcStatus !== "0" || fieldValue(statusFields, "grpc-status-details-bin") !== undefined) {
    const error = findTrailerError(toHeaders(statusFields));
    if (error) return error;
  }
  const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
  if (body.byteLength < 5 || body.byteLength !== 5 + body.readUInt32BE(1)) {
    return new ConnectError("the upstream sent a malformed response message", Code.Internal);
  }
  if (body[0] !== 0) return new ConnectError("the upstream sent a compressed message unasked", Code.Internal);
  try {
    return receivedResponse(
      method,
      fromBinary(method.output, body.subarray(5)),
      responseFields,
      statusFields,
    );
  } catch (cause) {
    return new ConnectError(`parse binary: ${String(cause)}`, Code.Internal);
  }
}

/**
 * A successful unary response whose header and trailer become `Headers` only when read. Why: most
 * callers (the edge above all) read only the message, and building two `Headers` per call was a
 * measurable share of a proxied request's CPU. The getters are the object's own, so an interceptor
 * that answers `{ ...response, message }` still passes the header and trailer on.
 */
function receivedResponse(
  method: DescMethodUnary,
  message: Message,
  headerFields: HeaderField[],
  trailerFields: HeaderField[],
): UnaryResponse {
  let header: Headers | undefined;
  let trailer: Headers | undefined;
  return {
    stream: false,
    service: method.parent,
    method,
    message,
    get header() {
      header ??= toHeaders(headerFields);
      return header;
    },
    get trailer() {
      trailer ??= toHeaders(trailerFields);
      return trailer;
    },
  } as UnaryResponse;
}

function statusOf(fields: HeaderField[]): string {
  return fieldValue(fields, ":status") ?? "";
}

/** The value of the first field named `name`; a loop, as this runs several times on every call. */
function fieldValue(fields: readonly HeaderField[], name: string): string | undefined {
  for (const field of fields) if (field.name === name) return field.value;
  return undefined;
}

function toHeaders(fields: HeaderField[]): Headers {
  const headers = new Headers();
  for (const { name, value } of fields) {
    if (name.charCodeAt(0) !== 58 /* ":" */) headers.append(name, value);
  }
  return headers;
}

/** RST_STREAM codes with a gRPC code of their own; every other code is INTERNAL. */
const codeForReset = new Map<number, Code>([
  [ErrorCode.refusedStream, Code.Unavailable],
  [ErrorCode.cancel, Code.Canceled],
  [ErrorCode.enhanceYourCalm, Code.ResourceExhausted],
  [ErrorCode.inadequateSecurity, Code.PermissionDenied],
]);

/**
 * The gRPC code for a stream that failed below gRPC: the HTTP/2 error-code table of the gRPC
 * spec (PROTOCOL.md, "Errors"); a connection that failed or could not be made is UNAVAILABLE, which
 * callers may retry.
 */
function errorForFailure(failure: StreamFailure): ConnectError {
  switch (failure.kind) {
    case "refused":
    case "connection":
      return new ConnectError(failure.reason, Code.Unavailable);
    case "protocol":
      return new ConnectError(failure.reason, Code.Internal);
    case "reset": {
      const code = codeForReset.get(failure.errorCode) ?? Code.Internal;
      return new ConnectError(`the upstream reset the stream (HTTP/2 error ${failure.errorCode})`, code);
    }
  }
}
