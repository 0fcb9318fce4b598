import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findControlCharacter } from "./control-characters.js";

describe("findControlCharacter", () => {
  it("finds NUL, the other C0 controls, DEL and the C1 controls, named by code point", () => {
    assert.equal(findControlCharacter("a\u0000b"), "U+0000");
    assert.equal(findControlCharacter("bell\u0007"), "U+0007");
    assert.equal(findControlCharacter("\u001f"), "U+001F");
    assert.equal(findControlCharacter("del\u007f"), "U+007F");
    assert.equal(findControlCharacter("next line\u0085"), "U+0085");
    assert.equal(findControlCharacter("\u009f"), "U+009F");
    assert.equal(findControlCharacter("first\u0001 then\u0002"), "U+0001");
  });

  it("passes printable text of any script, emoji and non-breaking space", () => {
    for (const text of ["", "Desk Plant", "Grüße, 東京 😀", "a\u00a0b", "~"]) {
      assert.equal(findControlCharacter(text), undefined, JSON.stringify(text));
    }
  });

  it("allows tab and line breaks only in multi-line text, never NUL", () => {
    for (const layout of ["\t", "\n", "\r\n"]) {
      assert.equal(findControlCharacter(`one${layout}two`, { multiline: true }), undefined);
      assert.match(findControlCharacter(`one${layout}two`) ?? "", /^U\+000[9AD]$/);
    }
    assert.equal(findControlCharacter("line\none\u0000", { multiline: true }), "U+0000");
    assert.equal(findControlCharacter("\u000b", { multiline: true }), "U+000B");
  });
});
