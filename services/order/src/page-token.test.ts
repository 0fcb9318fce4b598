import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { decodePageToken, encodePageToken } from "./page-token.js";

function isMalformedToken(error: unknown): boolean {
  return (
    error instanceof ConnectError &&
    error.code === Code.InvalidArgument &&
    error.rawMessage.startsWith("page_token")
  );
}

// The token scheme itself (checksum, versions, the time range) is tested with the platform's
// page-token.ts; here, that orders use it and the empty token means the first page.
describe("order page tokens", () => {
  test("a token reads back the cursor it was made from; the empty token is the first page", () => {
    const cursor = { createdAt: new Date("2026-03-01T10:20:30.456Z"), id: randomUUID() };
    assert.deepEqual(decodePageToken(encodePageToken(cursor)), cursor);
    assert.equal(decodePageToken(""), undefined);
  });

  test("the old unchecked format, even with a valid position, is refused", () => {
    const id = randomUUID();
    for (const t of [Date.parse("2026-03-01T10:20:30.456Z"), 8640000000000001, -200000000000000]) {
      const unchecked = Buffer.from(JSON.stringify({ t, i: id })).toString("base64url");
      assert.throws(() => decodePageToken(unchecked), isMalformedToken);
    }
  });

  test("a modified token is refused", () => {
    const token = encodePageToken({ createdAt: new Date(), id: randomUUID() });
    const [body, sum] = token.split(".") as [string, string];
    assert.throws(
      () => decodePageToken(`${body}.${sum.startsWith("A") ? "B" : "A"}${sum.slice(1)}`),
      isMalformedToken,
    );
  });
});
