/**
 * Caps a caller's deadline at the server's `maxTimeoutMs` instead of refusing it.
 *
 * gRPC servers are expected to accept any deadline and apply their own bound: a grpc-go or
 * grpc-java client with a 10-minute deadline sends `grpc-timeout: 10M` and must be served, with the
 * call running under the server's shorter deadline. connect-es instead answers INVALID_ARGUMENT
 * when a deadline exceeds its `maxTimeoutMs` option, so the server never hands it that option:
 * the fast path caps the parsed value itself, and the Connect fallback gets its deadline headers
 * rewritten to the cap before connect-es parses them. Malformed values are left alone and stay
 * INVALID_ARGUMENT.
 *
 * @module
 */

import type { IncomingHttpHeaders } from "node:http";
import { parseTimeout as parseConnectTimeout } from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout } from "@connectrpc/connect/protocol-grpc";

/** No bound, for connect-es's parsers: the cap is applied after parsing, not by refusing. */
const unbounded = Number.MAX_SAFE_INTEGER;

/**
 * Parses a `grpc-timeout` header (`timeoutMs` undefined when the caller sent none); a deadline longer
 * than `maxTimeoutMs` becomes `maxTimeoutMs`. Runs on every fast-path call, so connect-es's result is
 * returned as it is unless the deadline needs capping.
 */
export function parseCappedGrpcTimeout(
  value: string | null,
  maxTimeoutMs: number,
): ReturnType<typeof parseGrpcTimeout> {
  const parsed = parseGrpcTimeout(value, unbounded);
  if (parsed.error || parsed.timeoutMs === undefined || parsed.timeoutMs <= maxTimeoutMs) return parsed;
  return { timeoutMs: maxTimeoutMs };
}

/**
 * Rewrites `grpc-timeout` (gRPC, gRPC-Web) and `connect-timeout-ms` (Connect) in a request's headers
 * so that neither asks for more than `maxTimeoutMs`. Mutates `headers`; call it before the request
 * reaches connect-node.
 */
export function capDeadlineHeaders(headers: IncomingHttpHeaders, maxTimeoutMs: number): void {
  const grpcTimeout = headers["grpc-timeout"];
  if (typeof grpcTimeout === "string") {
    const { timeoutMs } = parseGrpcTimeout(grpcTimeout, unbounded);
    if (timeoutMs !== undefined && timeoutMs > maxTimeoutMs) {
      headers["grpc-timeout"] = formatGrpcTimeout(maxTimeoutMs);
    }
  }
  const connectTimeout = headers["connect-timeout-ms"];
  if (typeof connectTimeout === "string") {
    const { timeoutMs } = parseConnectTimeout(connectTimeout, unbounded);
    if (timeoutMs !== undefined && timeoutMs > maxTimeoutMs) {
      headers["connect-timeout-ms"] = String(Math.floor(maxTimeoutMs));
    }
  }
}

/** The largest `grpc-timeout` (at most 8 digits) that does not exceed `ms`. */
function formatGrpcTimeout(ms: number): string {
  const units: ReadonlyArray<readonly [string, number]> = [
    ["m", 1],
    ["S", 1000],
    ["M", 60_000],
    ["H", 3_600_000],
  ];
  for (const [unit, unitMs] of units) {
    const count = Math.floor(ms / unitMs);
    if (count <= 99_999_999) return `${count}${unit}`;
  }
  return "99999999H";
}
