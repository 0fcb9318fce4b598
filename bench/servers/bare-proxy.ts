/**
 * B2 floor: the least a REST→gRPC proxy can do, to measure what one extra process hop costs on this
 * machine. For `GET /v1/products/{id}` it sends GetProduct to the product service over one HTTP/2
 * connection (the platform's own h2c client), decodes the reply and answers it as proto3 JSON. No
 * routing table, auth, rate limit, tracing, metrics or deadlines. Its request log (one line per request with
 * `trace_id` and `durationMs`, written in batches) lets the benchmark pair it with the product's log
 * exactly as it pairs the edge's.
 *
 * Env: PORT, PRODUCT_PORT.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { create, fromBinary, toBinary, toJsonString } from "@bufbuild/protobuf";
import { GetProductRequestSchema, GetProductResponseSchema } from "@shop/gen/shop/product/v1/product_pb";
import { H2cConnection } from "@shop/platform/h2c/connection";

const productPort = Number(process.env.PRODUCT_PORT);
let upstream = new H2cConnection("127.0.0.1", productPort);
const pathPrefix = "/v1/products/";

let pendingLog = "";
setInterval(() => {
  if (pendingLog === "") return;
  process.stdout.write(pendingLog);
  pendingLog = "";
}, 100).unref();

const server = createServer({ keepAlive: true }, (req, res) => {
  const started = performance.now();
  const path = req.url ?? "";
  if (req.method !== "GET" || !path.startsWith(pathPrefix)) {
    res.writeHead(404).end();
    return;
  }
  const payload = toBinary(
    GetProductRequestSchema,
    create(GetProductRequestSchema, { id: path.slice(pathPrefix.length) }),
  );
  const framed = Buffer.allocUnsafe(5 + payload.byteLength);
  framed[0] = 0;
  framed.writeUInt32BE(payload.byteLength, 1);
  framed.set(payload, 5);
  const traceId = randomBytes(16).toString("hex");
  const chunks: Buffer[] = [];
  let status = "";
  if (!upstream.acceptsStreams) upstream = new H2cConnection("127.0.0.1", productPort);
  upstream.request(
    [
      [":method", "POST"],
      [":scheme", "http"],
      [":authority", `127.0.0.1:${productPort}`],
      [":path", "/shop.product.v1.ProductService/GetProduct"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ["traceparent", `00-${traceId}-${randomBytes(8).toString("hex")}-01`],
    ],
    framed,
    {
      onHeaders(fields, endStream) {
        for (const field of fields) if (field.name === "grpc-status") status = field.value;
        if (!endStream) return;
        if (status !== "0") {
          res.writeHead(502).end(`upstream grpc-status ${status}`);
          return;
        }
        const body = Buffer.concat(chunks);
        const reply = fromBinary(GetProductResponseSchema, body.subarray(5));
        const text = toJsonString(GetProductResponseSchema, reply);
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.end(text);
        const durationMs = Math.round((performance.now() - started) * 10) / 10;
        pendingLog += `{"trace_id":"${traceId}","durationMs":${durationMs}}\n`;
      },
      onData(data) {
        chunks.push(data);
      },
      onFailure(failure) {
        res.writeHead(502).end(`upstream failed: ${failure.kind}`);
      },
    },
  );
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
