import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadContractsFile } from "../descriptors.js";
import { createRouteTable } from "./route-table.js";

const table = createRouteTable(loadContractsFile().services);

describe("route table from the contracts", () => {
  it("routes each REST request of ARCHITECTURE §6 to its RPC with its bindings", () => {
    const cases: Array<[string, string, string, Record<string, string>]> = [
      ["GET", "/v1/products/p1", "GetProduct", { id: "p1" }],
      ["PATCH", "/v1/products/p1", "UpdateProduct", { "product.id": "p1" }],
      ["POST", "/v1/orders/o1:cancel", "CancelOrder", { id: "o1" }],
      ["GET", "/v1/orders/o1", "GetOrder", { id: "o1" }],
      ["DELETE", "/v1/cart/items/p9", "RemoveItem", { product_id: "p9" }],
      ["DELETE", "/v1/cart", "ClearCart", {}],
      ["PUT", "/v1/inventory/p1", "SetStock", { product_id: "p1" }],
    ];
    for (const [method, path, rpc, bindings] of cases) {
      const match = table.match(method, path);
      assert.equal(match.kind, "found", `${method} ${path}`);
      if (match.kind !== "found") continue;
      assert.equal(match.route.method.name, rpc);
      assert.deepEqual(Object.fromEntries(match.bindings), bindings);
    }
  });

  it("answers 405 with the allowed methods for a known path and 404 for an unknown one", () => {
    assert.deepEqual(table.match("PUT", "/v1/products/p1"), {
      kind: "method-not-allowed",
      allowed: ["GET", "HEAD", "PATCH"],
    });
    assert.deepEqual(table.match("GET", "/v1/nothing"), { kind: "not-found" });
  });

  it("tells a path that is not valid percent-encoded UTF-8 from an unknown one", () => {
    for (const path of ["/v1/orders/%FF", "/v1/products/%FF", "/v1/orders/%E0%A4%A:cancel", "/v1/x/%zz"]) {
      assert.deepEqual(table.match("GET", path), { kind: "malformed-path" }, path);
    }
    const encoded = table.match("GET", "/v1/products/p%201");
    assert.equal(encoded.kind, "found");
    if (encoded.kind === "found") assert.equal(encoded.bindings.get("id"), "p 1");
  });

  it("serves HEAD by the GET route, and lists HEAD only where GET is allowed", () => {
    const head = table.match("HEAD", "/v1/products/p1");
    assert.equal(head.kind, "found");
    if (head.kind === "found") {
      assert.equal(head.route.method.name, "GetProduct");
      assert.deepEqual(Object.fromEntries(head.bindings), { id: "p1" });
    }
    assert.deepEqual(table.match("HEAD", "/v1/cart/items/p1"), {
      kind: "method-not-allowed",
      allowed: ["DELETE"],
    });
    assert.deepEqual(table.match("HEAD", "/v1/nothing"), { kind: "not-found" });
  });

  it("never routes internal methods and reads access rules from the proto option", () => {
    assert.ok(!table.routes.some((r) => r.method.name === "ReserveStock" || r.method.name === "Charge"));
    const byRpc = new Map(table.routes.map((r) => [r.method.name, r.access]));
    assert.equal(byRpc.get("GetProduct")?.kind, "public");
    assert.deepEqual(byRpc.get("CreateProduct")?.roles, ["admin"]);
    assert.equal(byRpc.get("GetCart")?.kind, "user");
  });
});
