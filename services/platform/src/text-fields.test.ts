import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { invalidArgumentMessage } from "./testing/invalid-argument.js";
import { optionalText, requiredText } from "./text-fields.js";

describe("requiredText", () => {
  it("returns the text trimmed", () => {
    assert.equal(requiredText("name", "  Desk Plant \n", { maxLength: 20 }), "Desk Plant");
  });

  it("refuses empty and whitespace-only text as required", () => {
    assert.equal(
      invalidArgumentMessage(() => requiredText("name", "", { maxLength: 20 })),
      "name is required",
    );
    assert.equal(
      invalidArgumentMessage(() => requiredText("name", " \t ", { maxLength: 20 })),
      "name is required",
    );
  });

  it("counts the limit in code points, after trimming", () => {
    const emoji = "😀".repeat(5);
    assert.equal(requiredText("name", ` ${emoji} `, { maxLength: 5 }), emoji);
    assert.equal(
      invalidArgumentMessage(() => requiredText("name", `${emoji}x`, { maxLength: 5 })),
      "name must be at most 5 characters",
    );
  });

  it("refuses control characters inside the text, naming the first one", () => {
    assert.equal(
      invalidArgumentMessage(() => requiredText("line2", "Flat\u00002\u0007", { maxLength: 20 })),
      "line2 must not contain control characters (found U+0000)",
    );
    assert.match(
      invalidArgumentMessage(() => requiredText("reason", "too\nlate", { maxLength: 20 })),
      /U\+000A/,
    );
  });

  it("allows tab and line breaks in multi-line text, but no other control character", () => {
    assert.equal(
      requiredText("d", "one\r\ntwo\tthree", { maxLength: 20, multiline: true }),
      "one\r\ntwo\tthree",
    );
    assert.equal(
      invalidArgumentMessage(() => requiredText("d", "one\ntwo\u0000", { maxLength: 20, multiline: true })),
      "d must not contain control characters other than tab and line breaks (found U+0000)",
    );
  });
});

describe("optionalText", () => {
  it("accepts empty and whitespace-only text as empty", () => {
    assert.equal(optionalText("query", "", { maxLength: 5 }), "");
    assert.equal(optionalText("query", "   ", { maxLength: 5 }), "");
  });

  it("applies the same length and control-character rules to given text", () => {
    assert.equal(optionalText("query", " lamp ", { maxLength: 5 }), "lamp");
    assert.equal(
      invalidArgumentMessage(() => optionalText("query", "lamps!", { maxLength: 5 })),
      "query must be at most 5 characters",
    );
    assert.match(
      invalidArgumentMessage(() => optionalText("query", "a\u0085", { maxLength: 5 })),
      /^query .*U\+0085/,
    );
  });
});
