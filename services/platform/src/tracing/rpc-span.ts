import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { type Attributes, type Span, SpanStatusCode } from "@opentelemetry/api";
import { codeOf } from "../rpc-code.js";

/**
 * Services whose calls get no spans: probes (Kubernetes, Envoy, the edge's `/readyz`) call health
 * every few seconds and tooling calls reflection; tracing them would bury real traffic.
 */
export const defaultUntracedServices: readonly string[] = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];

/** The OpenTelemetry RPC span name: `package.Service/Method`. */
export function rpcSpanName(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** The semantic-convention attributes of a gRPC call. */
export function rpcAttributes(method: DescMethod): Attributes {
  return { "rpc.system": "grpc", "rpc.service": method.parent.typeName, "rpc.method": method.name };
}

// Per the OpenTelemetry gRPC conventions a server span fails only when the server is at fault;
// a NotFound or InvalidArgument is a correct answer. A client span fails on any non-OK code.
const serverErrorCodes: ReadonlySet<Code> = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

/**
 * Ends an RPC span with its outcome: `rpc.grpc.status_code` always, and an ERROR status (with the
 * exception recorded) when the code counts as a failure for that side of the call.
 */
export function endRpcSpan(span: Span, error: unknown, side: "server" | "client"): void {
  if (error === undefined) {
    span.setAttribute("rpc.grpc.status_code", 0);
    span.end();
    return;
  }
  const code = codeOf(error);
  span.setAttribute("rpc.grpc.status_code", code);
  if (side === "client" || serverErrorCodes.has(code)) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: Code[code] });
  }
  span.end();
}
