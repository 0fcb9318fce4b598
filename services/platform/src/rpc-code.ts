import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";

/**
 * Codes that mean "the caller asked for something wrong", not "the callee is unwell". They must not
 * trip a circuit breaker or page anyone: a flood of NotFound is a healthy server answering.
 */
export const clientFaultCodes: ReadonlySet<Code> = new Set([
  Code.Canceled,
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
]);

/** Codes that mean a bug or corruption on the serving side: logged at error level with the cause. */
export const serverFaultCodes: ReadonlySet<Code> = new Set([Code.Internal, Code.Unknown, Code.DataLoss]);

/** The Connect code of any thrown value, the way Connect itself would report it. */
export function codeOf(error: unknown): Code {
  return ConnectError.from(error).code;
}

/**
 * The label used for an outcome in logs and metrics: "ok" or Connect's snake_case code name
 * ("not_found", "unavailable"), the same spelling the Connect protocol and grpcurl users see.
 * One spelling everywhere lets a log query and a metrics query share the same values.
 */
export function codeLabel(error: unknown): string {
  return error === undefined ? "ok" : codeToString(codeOf(error));
}
