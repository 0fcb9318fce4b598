import type { IncomingMessage } from "node:http";
import { badRequest } from "../transcode/bad-request.js";

/**
 * The value of a header that must appear at most once (`authorization`, `idempotency-key`), or
 * undefined when absent; 400 when the request repeats it.
 *
 * Why refuse instead of picking one: Node keeps only the first `Authorization` and joins repeated
 * unknown headers with ", ", so `Idempotency-Key: a` plus `Idempotency-Key: b` became the key "a, b",
 * a key the client never chose; and a proxy in front that reads the last `Authorization` would
 * authorize someone else than the edge does. Neither header is a list (RFC 9110 §5.3), so two of
 * them are a broken request. The raw headers are only counted when the header is there at all.
 */
export function singleHeader(
  req: IncomingMessage,
  name: "authorization" | "idempotency-key",
): string | undefined {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  const count = rawHeaderCount(req.rawHeaders, name);
  if (count > 1) throw badRequest(`send one ${name} header, not ${count}`);
  return value as string;
}

/**
 * How many lines of `rawHeaders` (name, value, name, value...) carry the header `name` (lower case).
 * Why not `req.headersDistinct[name].length`: that getter builds an object of arrays for every
 * header of the request, several µs on each request that sends a token, to read one count.
 */
function rawHeaderCount(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]!;
    if (header.length === name.length && header.toLowerCase() === name) count++;
  }
  return count;
}
