import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HeaderDecoder } from "./header-decoder.js";
import { encodeHeaderBlock } from "./header-encoder.js";

describe("HPACK header encoding", () => {
  it("encodes fields that an HPACK decoder reads back, short and long values alike", () => {
    const fields: [string, string][] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", "/shop.product.v1.ProductService/GetProduct"],
      [":authority", "127.0.0.1:8002"],
      ["content-type", "application/grpc+proto"],
      ["te", "trailers"],
      ["x-request-id", "0b6c1f9e-3d1a-4a57-9a59-0c6f5f7c2b10"],
      ["authorization", `Bearer ${"a".repeat(63)}.${"b".repeat(200)}`],
      ["x-empty", ""],
      ["x-exactly-64", "c".repeat(64)],
      ["x-63", "d".repeat(63)],
    ];
    const decoded = new HeaderDecoder().decode(encodeHeaderBlock(fields));
    assert.deepEqual(
      decoded.map(({ name, value }) => [name, value]),
      fields,
    );
  });

  it("writes each character of a value as its Latin-1 byte", () => {
    const block = encodeHeaderBlock([["x-name", "Ad\u00e9"]]);
    // Literal without indexing, new name: 0x00, name length 6, name, value length 3, value.
    assert.deepEqual([...block.subarray(-4)], [3, 0x41, 0x64, 0xe9]);
    const long = encodeHeaderBlock([["x-name", `${"e".repeat(70)}\u00e9`]]);
    assert.equal(long.at(-1), 0xe9);
  });
});
