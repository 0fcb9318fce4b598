import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isCurrencyCode } from "./currency-codes.js";

describe("isCurrencyCode", () => {
  it("knows the ISO 4217 codes in use, upper case only", () => {
    for (const code of ["USD", "EUR", "JPY", "GBP", "CHF", "XOF"]) assert.ok(isCurrencyCode(code), code);
    for (const code of ["XYZ", "XXX", "usd", "Usd", "US", "USDX", ""]) {
      assert.equal(isCurrencyCode(code), false, code);
    }
  });
});
