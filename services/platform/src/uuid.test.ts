import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canonicalUuid, isUuid } from "./uuid.js";

describe("uuid", () => {
  it("recognises the hyphenated form in either case, nothing else", () => {
    assert.ok(isUuid("0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d"));
    assert.ok(isUuid("0B9F2C1E-8D4A-4F3B-9C2D-1E0F5A6B7C8D"));
    for (const bad of [
      "",
      "xyz",
      "0b9f2c1e8d4a4f3b9c2d1e0f5a6b7c8d",
      "{0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d}",
    ]) {
      assert.equal(isUuid(bad), false, bad);
    }
    assert.equal(isUuid("0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d\n"), false);
  });

  it("canonicalises to lower case, or gives undefined for a non-UUID", () => {
    assert.equal(
      canonicalUuid("0B9F2C1E-8D4A-4F3B-9C2D-1E0F5A6B7C8D"),
      "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d",
    );
    assert.equal(canonicalUuid("SKU-1"), undefined);
  });
});
