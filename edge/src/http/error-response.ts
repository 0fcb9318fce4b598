import type { ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { httpStatusOf } from "./error-status.js";

/** The JSON body of every error the edge returns (also the `Error` schema in the OpenAPI document). */
export interface ErrorBody {
  /** The gRPC code in snake case, e.g. `not_found`, as the Connect protocol spells it. */
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
}

/** An error the edge itself answers with a fixed HTTP status that no gRPC code maps to (413, 415, 405). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const internalMessage = "internal error";

/**
 * The status and body for any thrown value. ConnectErrors (from upstreams or the edge's own checks)
 * keep their code and, unless internal, their message; anything else is an edge bug and becomes a
 * generic 500 whose cause the caller logs, so internals never leak to clients.
 *
 * Why internal codes (Internal, Unknown, DataLoss) lose their message too: it is whatever failed
 * inside an upstream or the transport (a driver's error naming a database host, `parse binary:
 * premature EOF`), meant for operators, who find it in the log under the request id.
 */
export function describeError(error: unknown): {
  status: number;
  code: string;
  message: string;
  internal: boolean;
} {
  if (error instanceof HttpError)
    return { status: error.status, code: error.code, message: error.message, internal: false };
  if (error instanceof ConnectError) {
    const internal =
      error.code === Code.Internal || error.code === Code.Unknown || error.code === Code.DataLoss;
    return {
      status: httpStatusOf(error.code),
      code: codeToString(error.code),
      message: internal ? internalMessage : error.rawMessage,
      internal,
    };
  }
  return { status: 500, code: codeToString(Code.Internal), message: internalMessage, internal: true };
}

/**
 * The challenge of every 401. Why: HTTP requires a 401 to carry WWW-Authenticate (RFC 9110 §15.5.2),
 * and it tells clients which scheme to retry with; Bearer is the only one the edge takes (RFC 6750).
 */
const bearerChallenge = "Bearer";

/**
 * Writes the JSON error body with its status; headers of an {@link HttpError} are added, and a 401
 * gets its `WWW-Authenticate` challenge, whoever refused the call (the edge's token check or the service).
 */
export function writeError(res: ServerResponse, error: unknown, requestId: string): number {
  const { status, code, message } = describeError(error);
  const body: ErrorBody = { code, message, requestId };
  if (error instanceof HttpError) for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  if (status === 401) res.setHeader("www-authenticate", bearerChallenge);
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
  return status;
}
