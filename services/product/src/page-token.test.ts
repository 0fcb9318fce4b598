import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodePageToken, encodePageToken } from "./page-token.js";

const position = {
  createTime: new Date("2025-03-04T05:06:07.089Z"),
  id: "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d",
};

// The token scheme itself (checksum, tampering, opacity, versions) is tested with the platform's
// page-token.ts; here, what the product listing adds: tokens are bound to the search query.
describe("product page tokens", () => {
  it("round-trip the position to the millisecond for the same query", () => {
    const token = encodePageToken("lamp", position);
    assert.deepEqual(decodePageToken(token, "lamp"), position);
  });

  it("are rejected with a different query", () => {
    for (const other of ["lamps", ""]) {
      assert.throws(
        () => decodePageToken(encodePageToken("lamp", position), other),
        (error: unknown) =>
          error instanceof ConnectError &&
          error.code === Code.InvalidArgument &&
          error.rawMessage.startsWith("page_token") &&
          /different query/.test(error.rawMessage),
      );
    }
  });
});
