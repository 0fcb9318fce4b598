import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidArgumentMessage } from "./testing/invalid-argument.js";
import { requireUuid } from "./uuid-field.js";

const id = "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d";

describe("requireUuid", () => {
  it("returns the id in lower case", () => {
    assert.equal(requireUuid("product_id", id), id);
    assert.equal(requireUuid("product_id", id.toUpperCase()), id);
  });

  it("tells a missing id from a malformed one, naming the field", () => {
    assert.equal(
      invalidArgumentMessage(() => requireUuid("order_id", "")),
      "order_id is required",
    );
    for (const bad of ["xyz", ` ${id}`, `{${id}}`, id.replaceAll("-", "")]) {
      assert.match(
        invalidArgumentMessage(() => requireUuid("order_id", bad)),
        /^order_id must be a UUID such as /,
        bad,
      );
    }
  });
});
