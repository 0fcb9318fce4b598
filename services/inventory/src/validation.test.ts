import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { limits, requireAvailable, requireId, requireItems, requireProductId } from "./validation.js";

const a = "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d";
const b = "7c1d9e2f-3a4b-4c5d-8e6f-a1b2c3d4e5f6";

function rejection(run: () => unknown): ConnectError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.InvalidArgument);
    return error;
  }
  assert.fail("expected InvalidArgument");
}

describe("inventory validation", () => {
  test("ids: required, bounded, no padding or control characters", () => {
    assert.equal(requireId("product_id", "sku-1"), "sku-1");
    assert.equal(requireId("product_id", "x".repeat(limits.maxIdLength)).length, limits.maxIdLength);
    // The limit counts characters (code points): 128 emoji are 256 UTF-16 units but within it.
    const emoji = "😀".repeat(limits.maxIdLength);
    assert.equal(requireId("order_id", emoji), emoji);
    assert.match(rejection(() => requireId("order_id", `${emoji}x`)).rawMessage, /^order_id /);
    for (const bad of ["", "x".repeat(limits.maxIdLength + 1), " a", "a\n", "a\u0000b"]) {
      assert.match(rejection(() => requireId("product_id", bad)).rawMessage, /^product_id /);
    }
  });

  test("product ids: UUIDs only, in lower case", () => {
    assert.equal(requireProductId("product_id", a), a);
    assert.equal(requireProductId("product_id", a.toUpperCase()), a);
    for (const bad of ["", "xyz", "a/b", "😀", `${a} `, `{${a}}`, a.replaceAll("-", "")]) {
      assert.match(rejection(() => requireProductId("product_id", bad)).rawMessage, /^product_id /);
    }
  });

  test("available: 0 to the maximum, integers only", () => {
    assert.equal(requireAvailable(0), 0);
    assert.equal(requireAvailable(limits.maxAvailable), limits.maxAvailable);
    for (const bad of [-1, limits.maxAvailable + 1, 1.5]) rejection(() => requireAvailable(bad));
  });

  test("items: at least one, unique products, quantities in bounds", () => {
    assert.deepEqual(requireItems([{ productId: a.toUpperCase(), quantity: limits.maxItemQuantity }]), [
      { productId: a, quantity: limits.maxItemQuantity },
    ]);
    rejection(() => requireItems([]));
    const tooMany = Array.from({ length: limits.maxItemsPerReservation + 1 }, (_, i) => ({
      productId: `${a.slice(0, -3)}${String(i).padStart(3, "0")}`,
      quantity: 1,
    }));
    rejection(() => requireItems(tooMany));
    assert.match(
      rejection(() =>
        requireItems([
          { productId: a, quantity: 1 },
          { productId: a.toUpperCase(), quantity: 1 },
        ]),
      ).rawMessage,
      new RegExp(`items\\[1\\]\\.product_id "${a}" is listed twice`),
    );
    assert.match(
      rejection(() => requireItems([{ productId: a, quantity: 0 }])).rawMessage,
      /items\[0\]\.quantity/,
    );
    rejection(() => requireItems([{ productId: a, quantity: limits.maxItemQuantity + 1 }]));
    rejection(() => requireItems([{ productId: "", quantity: 1 }]));
    assert.match(
      rejection(() =>
        requireItems([
          { productId: b, quantity: 1 },
          { productId: "xyz", quantity: 1 },
        ]),
      ).rawMessage,
      /^items\[1\]\.product_id /,
    );
  });
});
