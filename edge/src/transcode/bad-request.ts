import { Code, ConnectError } from "@connectrpc/connect";

/** A caller mistake in the REST request itself; becomes 400 with this message. */
export function badRequest(message: string, cause?: unknown): ConnectError {
  return new ConnectError(message, Code.InvalidArgument, undefined, undefined, cause);
}
