import type { IncomingMessage } from "node:http";

/**
 * The client's IP address for rate limiting anonymous callers. `X-Forwarded-For` is believed only
 * when `trustProxy` is set, because any client can send that header to dodge its limit.
 *
 * Why the last address and not the first: the trusted proxy in front appends the address it saw
 * to whatever the client sent (nginx, Envoy, cloud load balancers). The first entry is therefore the
 * client's own words: sending `X-Forwarded-For: <anything new>` on each request got a fresh, full
 * bucket every time. The last entry is the one the proxy wrote. (Node joins repeated headers with
 * ", ", so a second header the client adds still comes before the proxy's entry.)
 */
export function clientAddressOf(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const list = Array.isArray(forwarded) ? forwarded.join(",") : forwarded;
    const last = list?.slice(list.lastIndexOf(",") + 1).trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? "unknown";
}
