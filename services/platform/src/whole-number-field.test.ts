import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidArgumentMessage } from "./testing/invalid-argument.js";
import { requireWholeNumber } from "./whole-number-field.js";

describe("requireWholeNumber", () => {
  it("accepts both bounds and what lies between", () => {
    for (const value of [1, 50, 99])
      assert.equal(requireWholeNumber("quantity", value, { min: 1, max: 99 }), value);
    assert.equal(requireWholeNumber("available", 0, { min: 0, max: 10 }), 0);
  });

  it("refuses values outside the bounds and fractions, naming the field and the bounds", () => {
    for (const bad of [0, -1, 100, 2.5, Number.NaN]) {
      assert.equal(
        invalidArgumentMessage(() => requireWholeNumber("quantity", bad, { min: 1, max: 99 })),
        "quantity must be a whole number from 1 to 99",
        String(bad),
      );
    }
  });
});
