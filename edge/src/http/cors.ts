import type { IncomingMessage, ServerResponse } from "node:http";

const allowedHeaders = "authorization, content-type, idempotency-key, x-request-id, traceparent";
const exposedHeaders = "x-request-id, retry-after, ratelimit-limit, ratelimit-remaining";

export interface Cors {
  /**
   * Adds CORS headers for an allowed `Origin` and answers preflight requests. Returns true when the
   * request was a preflight and has been answered (204), so the caller stops there.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * CORS for browser clients on other origins. Why a list: an API that accepts bearer tokens must not
 * let any web page call it from a user's browser unless the operator allowed that origin; `*`
 * allows every origin (tokens are sent explicitly, never as cookies, so no credentials mode).
 */
export function createCors(
  allowedOrigins: readonly string[],
  /** The `Access-Control-Allow-Methods` of a preflight: the methods the edge serves (`servedMethods`). */
  allowedMethods: string,
): Cors {
  const any = allowedOrigins.includes("*");
  const origins = new Set(allowedOrigins);
  // With a list, the answer depends on Origin whether or not this request's origin is on it. Why on
  // every response: a cache that kept one without Vary (fetched with no Origin, or a refused one)
  // would serve it to an allowed origin's page, which then fails CORS for lack of the header.
  const varies = !any && origins.size > 0;
  return {
    handle(req, res) {
      const origin = req.headers.origin;
      const allowed = origin !== undefined && (any || origins.has(origin));
      if (varies) res.setHeader("vary", "Origin");
      if (allowed) {
        res.setHeader("access-control-allow-origin", any ? "*" : origin);
        res.setHeader("access-control-expose-headers", exposedHeaders);
      }
      const preflight =
        req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
      if (!preflight) return false;
      if (allowed) {
        res.setHeader("access-control-allow-methods", allowedMethods);
        res.setHeader("access-control-allow-headers", allowedHeaders);
        res.setHeader("access-control-max-age", "600");
      }
      res.writeHead(204).end();
      return true;
    },
  };
}
