import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareSpecificity,
  matchPathTemplate,
  matchRequestPath,
  type PathTemplate,
  PathTemplateError,
  parsePathTemplate,
  RequestPath,
} from "./path-template.js";

const match = (template: string, path: string) => {
  const bindings = matchPathTemplate(parsePathTemplate(template), path);
  return bindings && Object.fromEntries(bindings);
};

describe("path templates", () => {
  it("binds simple and nested field variables, percent-decoded", () => {
    assert.deepEqual(match("/v1/products/{id}", "/v1/products/p%201"), { id: "p 1" });
    assert.deepEqual(match("/v1/products/{product.id}", "/v1/products/abc"), { "product.id": "abc" });
    assert.equal(match("/v1/products/{id}", "/v1/products"), undefined);
    assert.equal(match("/v1/products/{id}", "/v1/products/a/b"), undefined);
    assert.equal(match("/v1/products/{id}", "/v1/products/"), undefined);
    assert.equal(match("/v1/products/{id}", "/v1/products/%E0%A4%A"), undefined);
  });

  it("binds multi-segment variables with patterns and ** to the rest of the path", () => {
    assert.deepEqual(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/1/books/2"), {
      name: "shelves/1/books/2",
    });
    assert.equal(match("/v1/{name=shelves/*/books/*}", "/v1/shelves/1/notes/2"), undefined);
    assert.deepEqual(match("/v1/files/{path=**}", "/v1/files/a/b/c.txt"), { path: "a/b/c.txt" });
    assert.deepEqual(match("/v1/*/items", "/v1/anything/items"), {});
  });

  it("requires the :verb suffix when the template has one, and only then", () => {
    assert.deepEqual(match("/v1/orders/{id}:cancel", "/v1/orders/42:cancel"), { id: "42" });
    assert.equal(match("/v1/orders/{id}:cancel", "/v1/orders/42"), undefined);
    assert.equal(match("/v1/orders/{id}:cancel", "/v1/orders/42:refund"), undefined);
    assert.equal(parsePathTemplate("/v1/orders/{id}:cancel").verb, "cancel");
    assert.equal(parsePathTemplate("/v1/{name=a/*}").verb, undefined);
  });

  it("matches one split path against many templates as if each split it afresh", () => {
    const templates = ["/v1/orders/{id}:cancel", "/v1/orders/{id}", "/v1/{name=orders/*}", "/v1/**"].map(
      parsePathTemplate,
    );
    for (const path of [
      "/v1/orders/4%202:cancel",
      "/v1/orders/4%202",
      "/v1/orders/%E0%A4%A",
      "/v1/orders/x:cancel",
    ]) {
      const shared = RequestPath.parse(path) as RequestPath;
      for (const template of templates) {
        const once = matchRequestPath(template, shared);
        const fresh = matchPathTemplate(template, path);
        assert.deepEqual(
          once && Object.fromEntries(once),
          fresh && Object.fromEntries(fresh),
          `${template.source} ${path}`,
        );
      }
    }
    // The verb comes off the last segment for the verb template only.
    const shared = RequestPath.parse("/v1/orders/42:cancel") as RequestPath;
    assert.deepEqual(Object.fromEntries(matchRequestPath(templates[0] as PathTemplate, shared) ?? []), {
      id: "42",
    });
    assert.deepEqual(Object.fromEntries(matchRequestPath(templates[1] as PathTemplate, shared) ?? []), {
      id: "42:cancel",
    });
    assert.equal(RequestPath.parse("v1/orders"), undefined);
  });

  it("rejects templates that break the grammar", () => {
    for (const bad of [
      "v1/x",
      "/v1/{id",
      "/v1/{a.}",
      "/v1/**/x",
      "/v1/{a}/{a}",
      "/v1//x",
      "/v1/x:",
      "/v1/{a={b}}",
    ]) {
      assert.throws(() => parsePathTemplate(bad), PathTemplateError, bad);
    }
  });

  it("ranks literals over * over ** and a verb over none", () => {
    const sorted = ["/v1/{a=**}", "/v1/{id}", "/v1/search", "/v1/{id}:cancel"]
      .map(parsePathTemplate)
      .sort(compareSpecificity)
      .map((t) => t.source);
    assert.deepEqual(sorted, ["/v1/search", "/v1/{id}:cancel", "/v1/{id}", "/v1/{a=**}"]);
  });
});
