import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { isUnstorableTextError } from "../postgres-errors.js";
import { requestLoggerKey } from "../request-context.js";

/**
 * Turns any error a handler throws that is not a deliberate `ConnectError` into a generic Internal
 * error. Callers must never see stack traces, SQL or driver messages, but operators need them: the
 * original error rides along as the ConnectError's `cause` (never sent on the wire), so the request
 * log writes it once, on the request's own line with its trace id. Without a request log, this
 * interceptor logs the cause itself.
 *
 * One exception: Postgres refusing the caller's text (a NUL character, which `text` cannot hold) is
 * the caller's mistake, so it becomes InvalidArgument. Services reject such text when they validate
 * it; this is the safety net for a field that slipped through.
 */
export function createInternalErrorInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    try {
      return await next(request);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      if (isUnstorableTextError(error)) {
        throw new ConnectError(
          "request contains text that cannot be stored (such as a NUL character, U+0000)",
          Code.InvalidArgument,
          undefined,
          undefined,
          error,
        );
      }
      if (request.contextValues.get(requestLoggerKey) === requestLoggerKey.defaultValue) {
        logger.error(
          { err: error, procedure: `/${request.service.typeName}/${request.method.name}` },
          "handler failed with an unexpected error",
        );
      }
      throw new ConnectError("internal error", Code.Internal, undefined, undefined, error);
    }
  };
}
