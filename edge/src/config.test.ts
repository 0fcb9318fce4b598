import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "@shop/platform/config";
import { parseEdgeConfig } from "./config.js";

describe("edge config: TRUST_PROXY", () => {
  const trustProxy = (value?: string) => parseEdgeConfig({ TRUST_PROXY: value }).TRUST_PROXY;

  it("is the number of trusted proxies: unset or false is 0, true is 1, or a whole number", () => {
    assert.equal(trustProxy(), 0);
    assert.equal(trustProxy(""), 0, "an empty variable counts as unset");
    assert.equal(trustProxy("false"), 0);
    assert.equal(trustProxy("true"), 1);
    assert.equal(trustProxy("0"), 0);
    assert.equal(trustProxy("1"), 1);
    assert.equal(trustProxy("2"), 2);
    assert.equal(trustProxy(" 3 "), 3);
  });

  it("rejects negative, fractional and other values, naming the variable", () => {
    for (const bad of ["-1", "1.5", "2e0", "0x2", "yes", "TRUE", "two", "1,2", "9007199254740993"]) {
      assert.throws(
        () => trustProxy(bad),
        (error: unknown) =>
          error instanceof ConfigError &&
          /TRUST_PROXY: expected true, false or a whole number of trusted proxies/.test(error.message),
        bad,
      );
    }
  });
});
