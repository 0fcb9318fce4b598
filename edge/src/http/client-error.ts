import { randomUUID } from "node:crypto";
import { type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "@shop/platform/log";
import type { ErrorBody } from "./error-response.js";

/**
 * How long an answered connection keeps reading (and dropping) what the client still sends before
 * it is destroyed. Why linger: closing a socket with unread input makes the kernel send a reset,
 * which can discard the answer before the client reads it (RFC 9112 §9.6).
 */
const lingerMs = 2000;

/** What Node's HTTP parser errors carry: `HPE_*` codes from llhttp, and its fixed reason text. */
interface ParserError extends Error {
  readonly code?: string;
  readonly reason?: string;
}

export interface ClientErrorAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * The status Node itself would answer (431, 413, 408, else 400), except 501 for an unknown method,
 * with the edge's error code and a message.
 */
function answerFor(error: ParserError): ClientErrorAnswer {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        code: "request_header_fields_too_large",
        message: "request headers are larger than the edge accepts",
      };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return {
        status: 413,
        code: "payload_too_large",
        message: "chunk extensions of the request body are larger than the edge accepts",
      };
    case "HPE_INVALID_METHOD":
      // A method the parser does not know at all: RFC 9110 §9.1 makes that 501, not a malformed request.
      return {
        status: 501,
        code: "not_implemented",
        message: "the request method is not one the edge knows",
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "request_timeout", message: "the request was not received in time" };
    default: {
      // llhttp's reasons are fixed texts ("Invalid char in url query"), never the caller's bytes.
      const reason = typeof error.reason === "string" && error.reason !== "" ? `: ${error.reason}` : "";
      return { status: 400, code: "invalid_argument", message: `malformed HTTP request${reason}` };
    }
  }
}

/**
 * The server's `clientError` listener: answers a request that Node's HTTP parser rejected before
 * the edge saw it (headers too large, non-ASCII bytes in the target, a broken request line...)
 * with the edge's JSON error body (`{code, message, requestId}`) and the status Node would have
 * sent, instead of Node's default bodiless reply. The connection is then closed, as it must be
 * once the parser has lost track of the request framing: `Connection: close`, our side shut, and
 * the socket destroyed when the client closes or after a short linger. Nothing is written when the
 * socket cannot take it or a response to this connection has already started.
 */
export function createClientErrorHandler(logger: Logger) {
  return function answerClientError(error: ParserError, socket: Duplex): void {
    if (socket.writableEnded) return; // answered already; the socket is lingering
    // Node's own check: an in-flight response whose head was written cannot be followed by another.
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const answer = answerFor(error);
    const requestId = answerRawAndClose(socket, answer);
    logger.info({ requestId, status: answer.status, error: error.code }, "malformed request");
  };
}

/**
 * Writes `answer` as a raw HTTP/1.1 response with the edge's JSON error body on a socket the HTTP
 * server no longer manages (a parser error, a CONNECT), then closes the connection: `Connection:
 * close`, our side shut, and the socket destroyed when the client closes or after a short linger.
 * Returns the request id it put in the body and the `x-request-id` header.
 */
export function answerRawAndClose(
  socket: Duplex,
  answer: ClientErrorAnswer,
  extraHeaders: Readonly<Record<string, string>> = {},
): string {
  const { status, code, message } = answer;
  const requestId = randomUUID();
  const body: ErrorBody = { code, message, requestId };
  const text = JSON.stringify(body);
  const extra = Object.entries(extraHeaders)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "content-type: application/json; charset=utf-8\r\n" +
      `content-length: ${Buffer.byteLength(text)}\r\n` +
      `x-request-id: ${requestId}\r\n` +
      extra +
      "connection: close\r\n\r\n" +
      text,
  );
  const linger = setTimeout(() => socket.destroy(), lingerMs);
  linger.unref();
  socket.once("close", () => clearTimeout(linger));
  return requestId;
}
