import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { validateEmail, validateLogin, validateRegistration } from "./validation.js";

function rejectsField(run: () => unknown, field: string) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.match(error.rawMessage, new RegExp(`^${field} `));
    return true;
  });
}

describe("validateEmail", () => {
  it("normalises case and surrounding spaces", () => {
    assert.equal(validateEmail("  Ann.Lee+shop@Example.CO.uk "), "ann.lee+shop@example.co.uk");
  });

  it("rejects addresses that cannot receive mail", () => {
    for (const bad of [
      "ann",
      "ann@",
      "@example.com",
      "ann@example",
      "ann@@example.com",
      "ann lee@example.com",
      "ann@exa_mple.com",
      "ann@-example.com",
      "ann..lee@example.com",
      ".ann@example.com",
      "ann@example.123",
      `${"a".repeat(65)}@example.com`,
      `a@${"b".repeat(250)}.com`,
    ]) {
      rejectsField(() => validateEmail(bad), "email");
    }
  });
});

describe("validateRegistration", () => {
  const valid = { email: "ann@example.com", password: "12345678", name: "Ann" };

  it("accepts the boundaries of every field", () => {
    assert.deepEqual(validateRegistration(valid), valid);
    validateRegistration({ ...valid, password: "p".repeat(128), name: "n".repeat(100) });
    // Lengths count characters, not UTF-16 units or bytes.
    validateRegistration({ ...valid, password: "🔑".repeat(8), name: "😀".repeat(100) });
  });

  it("names the field that breaks a rule", () => {
    rejectsField(() => validateRegistration({ ...valid, password: "1234567" }), "password");
    rejectsField(() => validateRegistration({ ...valid, password: "p".repeat(129) }), "password");
    rejectsField(() => validateRegistration({ ...valid, password: "" }), "password");
    rejectsField(() => validateRegistration({ ...valid, name: " \t " }), "name");
    rejectsField(() => validateRegistration({ ...valid, name: "n".repeat(101) }), "name");
    rejectsField(() => validateRegistration({ ...valid, name: "Ann\u0000" }), "name");
    rejectsField(() => validateRegistration({ ...valid, email: "nope" }), "email");
  });
});

describe("validateLogin", () => {
  it("requires both fields but does not judge the email's syntax", () => {
    assert.deepEqual(validateLogin({ email: " X@Y ", password: "p" }), { email: "x@y", password: "p" });
    rejectsField(() => validateLogin({ email: "", password: "p" }), "email");
    rejectsField(() => validateLogin({ email: "a@b.c", password: "" }), "password");
  });
});
