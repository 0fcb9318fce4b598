/**
 * B1 baseline: the GetProduct handler on a bare `node:http2` server with protobuf-es encoding and
 * nothing else: no routing table, no deadlines, no limits, no interceptors. The ceiling to compare with.
 */
import http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetProductRequestSchema, GetProductResponseSchema } from "@shop/gen/shop/product/v1/product_pb";
import { getProduct } from "./catalog-handler.js";

const server = http2.createServer();
server.on("stream", (stream) => {
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const body = Buffer.concat(chunks);
    const request = fromBinary(GetProductRequestSchema, body.subarray(5));
    const payload = toBinary(GetProductResponseSchema, getProduct(request));
    const framed = Buffer.allocUnsafe(5 + payload.byteLength);
    framed[0] = 0;
    framed.writeUInt32BE(payload.byteLength, 1);
    framed.set(payload, 5);
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(framed);
  });
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("ready"));
