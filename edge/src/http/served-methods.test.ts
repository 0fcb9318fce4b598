import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { servedMethods } from "./served-methods.js";

describe("servedMethods (the Allow header of a refused CONNECT, the methods a CORS preflight allows)", () => {
  it("lists the routes' methods once each, with GET, HEAD and OPTIONS, in RFC 9110 order", () => {
    assert.equal(servedMethods(["POST", "GET", "POST", "DELETE"]), "GET, HEAD, POST, DELETE, OPTIONS");
  });

  it("leaves out methods no route uses", () => {
    assert.equal(servedMethods([]), "GET, HEAD, OPTIONS");
  });

  it("puts a method outside the usual set last instead of dropping it", () => {
    assert.equal(servedMethods(["PATCH", "QUERY"]), "GET, HEAD, PATCH, OPTIONS, QUERY");
  });
});
