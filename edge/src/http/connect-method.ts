import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "@shop/platform/log";
import { answerRawAndClose } from "./client-error.js";

/** The order methods are listed in, the RFC 9110 order; any other method a route uses goes last. */
const methodOrder = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * The methods the edge serves on some path, for the `Allow` header a 405 must carry (RFC 9110 §15.5.6):
 * those of the REST routes, plus GET and HEAD (the health, metrics and docs endpoints; HEAD wherever GET
 * is) and OPTIONS (CORS preflight, answered on every path). Why derived: a route added to the contracts
 * with a new method must show up here without anyone remembering this header.
 */
export function servedMethods(routeMethods: Iterable<string>): string {
  const methods = new Set(["GET", "HEAD", "OPTIONS", ...routeMethods]);
  const rank = (method: string) => {
    const index = methodOrder.indexOf(method);
    return index === -1 ? methodOrder.length : index;
  };
  return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).join(", ");
}

/**
 * The server's `connect` listener: answers a CONNECT request with 405 and the edge's JSON error body,
 * then closes the connection.
 *
 * Why a listener at all: Node hands CONNECT to this event instead of the request handler, and with
 * no listener it drops the connection without a word, so a client configured to use the edge as a
 * forward proxy saw a reset instead of an error it could read. The edge is a gateway, not a proxy:
 * it opens no tunnels. `allow` is the `Allow` header, see `servedMethods`.
 */
export function createConnectMethodHandler(logger: Logger, allow: string) {
  return function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
    const requestId = answerRawAndClose(
      socket,
      {
        status: 405,
        code: "method_not_allowed",
        message: "CONNECT is not supported: the edge is a REST gateway, not a proxy",
      },
      { allow },
    );
    logger.info({ requestId, status: 405 }, "CONNECT refused");
  };
}
