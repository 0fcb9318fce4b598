import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodePageToken, encodePageToken } from "./page-token.js";

// The token scheme itself (checksum, tampering, versions) is tested with the platform's page-token.ts.
describe("notification page tokens", () => {
  test("a token reads back the position it was made from", () => {
    const position = { createTime: new Date("2026-03-01T10:20:30.456Z"), id: randomUUID() };
    const back = decodePageToken(encodePageToken(position));
    assert.equal(back.id, position.id);
    assert.equal(back.createTime.toISOString(), position.createTime.toISOString());
  });

  test("a modified token is INVALID_ARGUMENT naming page_token", () => {
    const token = encodePageToken({ createTime: new Date(), id: randomUUID() });
    const [body, sum] = token.split(".") as [string, string];
    const flipped = `${body}.${sum.startsWith("A") ? "B" : "A"}${sum.slice(1)}`;
    assert.throws(
      () => decodePageToken(flipped),
      (error: unknown) =>
        error instanceof ConnectError &&
        error.code === Code.InvalidArgument &&
        /page_token/.test(error.rawMessage),
    );
  });
});
