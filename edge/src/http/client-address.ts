import type { IncomingMessage } from "node:http";

/**
 * The client's IP address for rate limiting anonymous callers. `X-Forwarded-For` is believed only
 * when `trustProxy` is set, because any client can send that header to dodge its limit.
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? "unknown";
}
