import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestTarget } from "./request-target.js";

describe("request targets", () => {
  it("reads an origin-form target as a path and query, even when the path starts with //", () => {
    const url = parseRequestTarget("/v1/products?pageSize=2&query=mug");
    assert.equal(url?.pathname, "/v1/products");
    assert.equal(url?.searchParams.get("query"), "mug");
    assert.equal(parseRequestTarget("//evil.example/v1/cart")?.pathname, "//evil.example/v1/cart");
    assert.equal(parseRequestTarget("//v1/products?x=1")?.pathname, "//v1/products");
    assert.equal(parseRequestTarget("//v1/products?x=1")?.searchParams.get("x"), "1");
  });

  it("reads an absolute-form target as the URL it is", () => {
    const url = parseRequestTarget("http://shop.example:8080/v1/products/p1?x=1");
    assert.equal(url?.pathname, "/v1/products/p1");
    assert.equal(url?.searchParams.get("x"), "1");
  });

  it("refuses targets that are neither", () => {
    assert.equal(parseRequestTarget("v1/products"), undefined);
    assert.equal(parseRequestTarget("*"), undefined);
    assert.equal(parseRequestTarget("http://"), undefined);
  });

  it("refuses a query whose percent-escapes are not UTF-8, which URLSearchParams would read as U+FFFD", () => {
    assert.equal(parseRequestTarget("/v1/products?query=caf%E9"), undefined); // Latin-1 é
    assert.equal(parseRequestTarget("/v1/products?query=100%"), undefined);
    assert.equal(parseRequestTarget("/v1/products?query=%zz"), undefined);
    assert.equal(parseRequestTarget("/v1/products?query=%ED%A0%80"), undefined); // a UTF-16 surrogate
    assert.equal(parseRequestTarget("/v1/products?query=caf%C3%A9")?.searchParams.get("query"), "café");
  });

  it("reads a target exactly as the URL parser does, whichever way it is parsed", () => {
    const targets = [
      "/v1/products/0b6c1f9e-3d1a-4a57-9a59-0c6f5f7c2b10",
      "/v1/products?pageSize=2&query=red+mug&query=blue%20cup&empty=&flag",
      "/v1/products?q=caf%C3%A9&q=%2B&q='quoted'&q=a=b",
      "/v1/products?",
      "/v1/../admin/users",
      "/v1/%2e%2e/admin",
      "/v1/products/./p1",
      "/v1\\products",
      "/v1/products/a b",
      "/v1/products/caf\u00e9",
      "/v1/products/p1#fragment",
      "/v1/products?x=1#fragment",
      "/v1/products/p|1",
      "/v1/products/%41",
      "/v1/products/p1?x=\u00e9",
      "//evil.example/v1/cart?x=1",
    ];
    for (const target of targets) {
      const parsed = parseRequestTarget(target);
      const expected = new URL(`http://edge.invalid${target}`);
      assert.equal(parsed?.pathname, expected.pathname, target);
      assert.deepEqual([...(parsed?.searchParams ?? [])], [...expected.searchParams], target);
    }
  });
});
