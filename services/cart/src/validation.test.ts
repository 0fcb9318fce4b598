import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { cartLimits, requireProductId, requireQuantity } from "./validation.js";

function code(run: () => unknown): Code | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

describe("cart validation", () => {
  test("quantity: 1 to the line maximum, whole numbers only", () => {
    assert.equal(requireQuantity(1), 1);
    assert.equal(requireQuantity(cartLimits.maxQuantityPerLine), cartLimits.maxQuantityPerLine);
    for (const bad of [0, -3, cartLimits.maxQuantityPerLine + 1, 2.5]) {
      assert.equal(
        code(() => requireQuantity(bad)),
        Code.InvalidArgument,
        String(bad),
      );
    }
  });

  test("product id: required, bounded, no spaces, braces or control characters", () => {
    const uuid = "0b9f2c1e-7d1a-4c7e-9a51-3f2d6b8e1c00";
    assert.equal(requireProductId(uuid), uuid);
    assert.equal(
      requireProductId("x".repeat(cartLimits.maxProductIdLength)).length,
      cartLimits.maxProductIdLength,
    );
    assert.equal(requireProductId(uuid.toUpperCase()), uuid, "UUIDs in their canonical lower case");
    assert.equal(requireProductId("SKU-1"), "SKU-1", "other ids as given: no catalog line can hold them");
    for (const bad of ["", " a", "a b", "{a}", "a\tb", "é", "x".repeat(cartLimits.maxProductIdLength + 1)]) {
      assert.equal(
        code(() => requireProductId(bad)),
        Code.InvalidArgument,
        JSON.stringify(bad),
      );
    }
  });
});
