import type { IncomingMessage } from "node:http";

/**
 * The client's IP address for rate limiting anonymous callers. `X-Forwarded-For` is believed only
 * when `trustedProxies` (the edge's `TRUST_PROXY`) says how many proxies of ours stand in front of
 * the edge, because any client can send that header to dodge its limit.
 *
 * Why counted from the end and not the first entry: each proxy appends the address it saw to whatever
 * it received (nginx, Envoy, CDNs, cloud load balancers). The first entry is therefore the client's own
 * words: sending `X-Forwarded-For: <anything new>` on each request would get a fresh, full bucket every
 * time. With N trusted proxies the last N entries are theirs, and the Nth from the end is the one the
 * outermost proxy wrote: the address it saw, the client's. (Node joins repeated headers with ", " in
 * order, so a second header the client adds still comes before our proxies' entries.)
 *
 * A header with fewer than N entries did not come through all our proxies (or the count is set too
 * high): whatever it holds may have been written by the client, so the socket's address is used.
 * `trustedProxies` 0 ignores the header. Runs on every anonymous request: no regex, and no array
 * unless Node handed one.
 */
export function clientAddressOf(req: IncomingMessage, trustedProxies: number): string {
  const socketAddress = req.socket.remoteAddress ?? "unknown";
  if (trustedProxies <= 0) return socketAddress;
  const forwarded = req.headers["x-forwarded-for"];
  if (forwarded === undefined) return socketAddress;
  const list = typeof forwarded === "string" ? forwarded : forwarded.join(",");
  // Walk back over the last `trustedProxies` entries: `end` is where the current entry stops.
  let end = list.length;
  for (let hop = 1; ; hop++) {
    const comma = end === 0 ? -1 : list.lastIndexOf(",", end - 1);
    if (hop === trustedProxies) return list.slice(comma + 1, end).trim() || socketAddress;
    if (comma < 0) return socketAddress;
    end = comma;
  }
}
