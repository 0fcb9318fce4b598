import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { AddressSchema } from "@shop/gen/shop/common/v1/address_pb";
import { invalidArgumentMessage } from "@shop/platform/testing/invalid-argument";
import { requireAddress, requireCancelReason, requireCardToken } from "./validation.js";

function rejectsField(run: () => unknown, field: string, problem: RegExp) {
  const message = invalidArgumentMessage(run);
  assert.ok(message.startsWith(`${field} `), message);
  assert.match(message, problem);
}

const address = { name: "Ada", line1: "1 Main St", city: "Berlin", country: "DE" };

describe("order text fields: lengths in characters, no control characters", () => {
  test("lengths count code points: an emoji is one character", () => {
    assert.equal(
      requireAddress(create(AddressSchema, { ...address, name: "😀".repeat(100) })).name,
      "😀".repeat(100),
    );
    rejectsField(
      () => requireAddress(create(AddressSchema, { ...address, name: "😀".repeat(101) })),
      "shipping_address.name",
      /at most 100 characters/,
    );
    assert.equal(requireCancelReason(` ${"😀".repeat(500)} `), "😀".repeat(500));
    rejectsField(() => requireCancelReason("😀".repeat(501)), "reason", /at most 500 characters/);
    rejectsField(() => requireCardToken("t".repeat(257)), "payment.card_token", /at most 256 characters/);
  });

  test("NUL, other C0 controls, DEL and C1 controls are refused with the code point", () => {
    rejectsField(
      () => requireAddress(create(AddressSchema, { ...address, line2: "Flat\u00002" })),
      "shipping_address.line2",
      /control characters \(found U\+0000\)/,
    );
    rejectsField(
      () => requireAddress(create(AddressSchema, { ...address, region: "B\u0085Y" })),
      "shipping_address.region",
      /U\+0085/,
    );
    rejectsField(() => requireCardToken("tok_visa\u007f"), "payment.card_token", /U\+007F/);
    rejectsField(() => requireCancelReason("too\nlate"), "reason", /U\+000A/);
  });

  test("surrounding whitespace is trimmed; an empty reason has the default", () => {
    assert.equal(requireCardToken(" tok_visa\n"), "tok_visa");
    assert.equal(requireCancelReason("  "), "cancelled by customer");
    assert.equal(requireCancelReason(" changed my mind "), "changed my mind");
  });
});
