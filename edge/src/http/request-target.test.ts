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
    assert.equal(parseRequestTarget("//v1/products?x=1")?.search, "?x=1");
  });

  it("reads an absolute-form target as the URL it is", () => {
    const url = parseRequestTarget("http://shop.example:8080/v1/products/p1?x=1");
    assert.equal(url?.pathname, "/v1/products/p1");
    assert.equal(url?.search, "?x=1");
  });

  it("refuses targets that are neither", () => {
    assert.equal(parseRequestTarget("v1/products"), undefined);
    assert.equal(parseRequestTarget("*"), undefined);
    assert.equal(parseRequestTarget("http://"), undefined);
  });
});
