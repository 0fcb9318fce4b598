import { Code } from "@connectrpc/connect";

const statusByCode: ReadonlyMap<Code, number> = new Map([
  [Code.Canceled, 499],
  [Code.Unknown, 500],
  [Code.InvalidArgument, 400],
  [Code.DeadlineExceeded, 504],
  [Code.NotFound, 404],
  [Code.AlreadyExists, 409],
  [Code.PermissionDenied, 403],
  [Code.ResourceExhausted, 429],
  [Code.FailedPrecondition, 400],
  [Code.Aborted, 409],
  [Code.OutOfRange, 400],
  [Code.Unimplemented, 501],
  [Code.Internal, 500],
  [Code.Unavailable, 503],
  [Code.DataLoss, 500],
  [Code.Unauthenticated, 401],
]);

/**
 * The HTTP status of a gRPC code, per the standard mapping used by grpc-gateway and Envoy's
 * transcoder (google.rpc.Code), so REST clients can react by status alone.
 */
export function httpStatusOf(code: Code): number {
  return statusByCode.get(code) ?? 500;
}
