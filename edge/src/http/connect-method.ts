import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "@shop/platform/log";
import { answerRawAndClose } from "./client-error.js";

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
