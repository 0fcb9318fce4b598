import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { GetProductRequestSchema } from "@shop/gen/shop/product/v1/product_pb";
import { startTestProductService, type TestProductService } from "./harness.js";

const readMaxBytes = 2048;
const getProductPath = "/shop.product.v1.ProductService/GetProduct";

/**
 * Holds a call marked with `x-test-hold` until the server aborts it, so the deadline test needs no
 * slow query or sleep: the only way the call ends is the server's own deadline firing.
 */
const holdUntilAborted: Interceptor = (next) => async (request) => {
  if (request.header.get("x-test-hold") === null) return next(request);
  await new Promise<void>((resolve) => {
    if (request.signal.aborted) resolve();
    request.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  throw new ConnectError("held call ended by the server", Code.Aborted);
};

/** A gRPC length-prefixed message: flag byte 0 (uncompressed), 4-byte big-endian length, payload. */
function envelope(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 1);
  frame.set(payload, 5);
  return frame;
}

interface RawResult {
  readonly httpStatus: number;
  /** From the trailers, or from the headers of a trailers-only response. */
  readonly grpcStatus: number;
  readonly grpcMessage: string;
}

/** Sends one raw gRPC request on a shared HTTP/2 session and collects the status, as any client would. */
function rawCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  extraHeaders: Record<string, string> = {},
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...extraHeaders,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => {
      headers = h;
    });
    stream.on("trailers", (t) => {
      trailers = t;
    });
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.on("close", () => {
      const status = trailers["grpc-status"] ?? headers["grpc-status"];
      if (status === undefined) {
        reject(new Error(`no grpc-status (http ${headers[":status"]})`));
        return;
      }
      resolve({
        httpStatus: Number(headers[":status"]),
        grpcStatus: Number(status),
        grpcMessage: decodeURIComponent(String(trailers["grpc-message"] ?? headers["grpc-message"] ?? "")),
      });
    });
    stream.end(body);
  });
}

// The timeout only turns a server that never enforces a deadline into a failure instead of a hang.
describe("server protections on the product service (raw HTTP/2)", { timeout: 30_000 }, () => {
  let shop: TestProductService;
  let session: http2.ClientHttp2Session;
  let productId: string;

  before(async () => {
    shop = await startTestProductService({
      env: { MAX_MESSAGE_BYTES: String(readMaxBytes) },
      interceptors: [holdUntilAborted],
    });
    session = http2.connect(shop.baseUrl);
    const { product } = await shop.client.createProduct({
      product: { name: "Still Here", price: { currencyCode: "USD", units: 1n } },
    });
    productId = product!.id;
  });
  after(async () => {
    session?.close();
    await shop?.stop();
  });

  /** A normal call on the same connection, and one through a fresh client: the server still serves. */
  async function assertStillServing() {
    const body = envelope(
      toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id: productId })),
    );
    const raw = await rawCall(session, getProductPath, body);
    assert.equal(raw.grpcStatus, 0, `raw GetProduct answered ${raw.grpcStatus} ${raw.grpcMessage}`);
    const { product } = await shop.client.getProduct({ id: productId });
    assert.equal(product?.name, "Still Here");
  }

  it("answers malformed protobuf bytes with INTERNAL (13)", async () => {
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const result = await rawCall(session, getProductPath, envelope(garbage));
    assert.equal(result.httpStatus, 200);
    assert.equal(result.grpcStatus, 13);
    await assertStillServing();
  });

  it("answers an unknown method with UNIMPLEMENTED (12)", async () => {
    const result = await rawCall(
      session,
      "/shop.product.v1.ProductService/DeleteEverything",
      envelope(new Uint8Array()),
    );
    assert.equal(result.grpcStatus, 12);
    await assertStillServing();
  });

  it("answers a message over the configured limit with RESOURCE_EXHAUSTED (8)", async () => {
    const big = create(GetProductRequestSchema, { id: "x".repeat(readMaxBytes + 1) });
    const result = await rawCall(session, getProductPath, envelope(toBinary(GetProductRequestSchema, big)));
    assert.equal(result.grpcStatus, 8);
    // Just under the limit is still read and validated (INVALID_ARGUMENT, not RESOURCE_EXHAUSTED).
    const fits = create(GetProductRequestSchema, { id: "x".repeat(readMaxBytes - 10) });
    const ok = await rawCall(session, getProductPath, envelope(toBinary(GetProductRequestSchema, fits)));
    assert.equal(ok.grpcStatus, 3);
    await assertStillServing();
  });

  it("answers a call that outlives its grpc-timeout with DEADLINE_EXCEEDED (4)", async () => {
    const body = envelope(
      toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id: productId })),
    );
    const result = await rawCall(session, getProductPath, body, { "grpc-timeout": "1m", "x-test-hold": "1" });
    assert.equal(result.grpcStatus, 4);
    await assertStillServing();
  });
});
