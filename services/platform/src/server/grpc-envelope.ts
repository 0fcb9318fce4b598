import type { ServerHttp2Stream } from "node:http2";
import { Code, type ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";

/** Size of the gRPC length-prefixed message header: 1 flag byte and a 4-byte big-endian length. */
export const envelopeHeaderBytes = 5;

/** The compressed-flag bit of the envelope's first byte. */
const compressedFlag = 0b1;

/**
 * Why a request body is not one well-formed gRPC message. Unary calls carry exactly one envelope, so
 * anything else is a protocol violation the caller must hear about, not a crash.
 */
export type EnvelopeProblem = { code: Code; message: string };

/**
 * Frames one serialized message as a gRPC envelope. Returned as a single buffer so the response goes
 * out in one DATA frame instead of two small writes.
 */
export function encodeEnvelope(payload: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(envelopeHeaderBytes + payload.byteLength);
  framed[0] = 0;
  framed.writeUInt32BE(payload.byteLength, 1);
  framed.set(payload, envelopeHeaderBytes);
  return framed;
}

/**
 * Reads the single message of a unary request body. The body arrives as chunks, so the caller
 * concatenates first; this only validates and slices.
 */
export function decodeUnaryEnvelope(body: Buffer): Uint8Array | EnvelopeProblem {
  if (body.byteLength < envelopeHeaderBytes) {
    return { code: Code.Unimplemented, message: "unary request must carry exactly one message, got none" };
  }
  const flags = body[0] ?? 0;
  if ((flags & compressedFlag) !== 0) {
    return { code: Code.Internal, message: "compressed message received without a grpc-encoding" };
  }
  const length = body.readUInt32BE(1);
  const end = envelopeHeaderBytes + length;
  if (body.byteLength < end) {
    return { code: Code.Internal, message: "request message is truncated" };
  }
  if (body.byteLength > end) {
    return { code: Code.Unimplemented, message: "unary request must carry exactly one message, got more" };
  }
  return body.subarray(envelopeHeaderBytes, end);
}

/**
 * Ends a stream with a "trailers-only" gRPC response: HTTP 200 with the status in the headers and no
 * body. This is how gRPC reports an error that happened before any message was sent.
 */
export function respondTrailersOnly(
  stream: ServerHttp2Stream,
  error: ConnectError,
  contentType: string,
): void {
  if (stream.destroyed || stream.closed) return;
  const status = setTrailerStatus(new Headers(), error);
  const headers: Record<string, string> = { ":status": "200", "content-type": contentType };
  status.forEach((value, key) => {
    headers[key] = value;
  });
  if (stream.headersSent) {
    stream.close();
    return;
  }
  stream.respond(headers, { endStream: true });
}
