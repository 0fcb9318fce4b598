import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codePointLength } from "./code-point-length.js";

describe("codePointLength", () => {
  it("counts code points, not UTF-16 units", () => {
    assert.equal(codePointLength(""), 0);
    assert.equal(codePointLength("abc"), 3);
    assert.equal(codePointLength("é"), 1);
    assert.equal(codePointLength("😀"), 1);
    assert.equal(codePointLength("😀".repeat(128)), 128);
    // A combining mark is a code point of its own: "e" + U+0301 is two, as Postgres char_length says.
    assert.equal(codePointLength("e\u0301"), 2);
  });

  it("counts a lone surrogate as one", () => {
    assert.equal(codePointLength("\ud83d"), 1);
    assert.equal(codePointLength("a\ude00b"), 3);
  });
});
