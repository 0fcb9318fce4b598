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
 * them are a broken request. `headersDistinct` is only read when the header is there at all.
 */
export function singleHeader(
  req: IncomingMessage,
  name: "authorization" | "idempotency-key",
): string | undefined {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  const count = req.headersDistinct[name]?.length ?? 1;
  if (count > 1) throw badRequest(`send one ${name} header, not ${count}`);
  return value as string;
}
