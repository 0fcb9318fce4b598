import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestIdOf } from "./request-id.js";

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("request ids", () => {
  it("keeps a caller's id made of letters, digits and . _ : - up to 128 characters", () => {
    for (const id of ["req-123", "01HZX3K7.trace_9:a", "a", "x".repeat(128)]) {
      assert.equal(requestIdOf(id), id);
    }
    assert.equal(requestIdOf(["first-1", "second-2"]), "first-1");
  });

  it("replaces a missing, empty, over-long or otherwise unsafe id with a fresh UUID", () => {
    for (const id of [
      undefined,
      "",
      "x".repeat(129),
      "<script>alert(1)</script>",
      'quote"d',
      "a b",
      "a,b",
      "a;b",
      "id/../x",
      "ünïcode",
    ]) {
      const given = requestIdOf(id);
      assert.notEqual(given, id);
      assert.match(given, uuid, JSON.stringify(id));
    }
  });
});
