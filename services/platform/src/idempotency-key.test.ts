import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { optionalIdempotencyKey, requireIdempotencyKey } from "./idempotency-key.js";

function refusal(call: () => unknown): ConnectError {
  try {
    call();
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected a refusal");
}

describe("idempotency keys", () => {
  it("accepts 1 to 128 printable ASCII characters, inner spaces included", () => {
    for (const key of ["k", "a b", "x".repeat(128), "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d"]) {
      assert.equal(requireIdempotencyKey(key), key);
      assert.equal(optionalIdempotencyKey(key), key);
    }
  });

  it("refuses a longer key, or one with control or non-ASCII characters or a space at either end, naming the field", () => {
    for (const key of ["x".repeat(129), "a\nb", "café", " lead", "trail ", " "]) {
      for (const check of [requireIdempotencyKey, optionalIdempotencyKey]) {
        const error = refusal(() => check(key));
        assert.equal(error.code, Code.InvalidArgument, JSON.stringify(key));
        assert.match(error.rawMessage, /^idempotency_key must be/);
      }
    }
    assert.equal(
      refusal(() => requireIdempotencyKey("x".repeat(129))).rawMessage,
      "idempotency_key must be at most 128 characters",
    );
  });

  it("says what is wrong with a key that is not printable ASCII or has a space at either end", () => {
    assert.equal(
      refusal(() => optionalIdempotencyKey("trail ")).rawMessage,
      "idempotency_key must be printable ASCII, without a space at either end",
    );
  });

  it("an empty key is missing where required and absent where optional", () => {
    assert.match(
      refusal(() => requireIdempotencyKey("")).rawMessage,
      /^idempotency_key is required .*Idempotency-Key/,
    );
    assert.equal(optionalIdempotencyKey(""), undefined);
  });
});
