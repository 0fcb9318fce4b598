import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { invalidArgument } from "./invalid-argument.js";

describe("invalidArgument", () => {
  it("is InvalidArgument with the field first, then the problem", () => {
    const error = invalidArgument("shipping_address.city", "is required");
    assert.equal(error.code, Code.InvalidArgument);
    assert.equal(error.rawMessage, "shipping_address.city is required");
  });
});
