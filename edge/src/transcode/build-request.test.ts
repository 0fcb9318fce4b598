import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { loadContractsFile } from "../descriptors.js";
import { parsePathTemplate } from "../routes/path-template.js";
import { createRouteTable, type Route } from "../routes/route-table.js";
import { buildRequestMessage } from "./build-request.js";
import { requiredBodyFields } from "./required-fields.js";

const contracts = loadContractsFile();
const table = createRouteTable(contracts.services);
const { registry } = contracts;

function routeOf(rpc: string): Route {
  const route = table.routes.find((r) => r.method.name === rpc);
  assert.ok(route, rpc);
  return route;
}

/** A route over any message of the contracts, to exercise field kinds the REST routes lack. */
function routeFor(typeName: string, body = ""): Route {
  const input = registry.getMessage(typeName);
  assert.ok(input, typeName);
  const base = routeOf("ListProducts");
  return {
    ...base,
    body,
    template: parsePathTemplate("/x"),
    method: { ...base.method, input } as Route["method"],
  };
}

/** A route of `rpc` at `/x` whose body is `body`, with its required body fields derived afresh. */
function withBody(rpc: string, body: string): Route {
  const base = routeOf(rpc);
  const template = parsePathTemplate("/x");
  return { ...base, body, template, requiredBodyFields: requiredBodyFields(base.method, body, template) };
}

function build(
  route: Route,
  parts: { path?: Record<string, string>; query?: string; body?: unknown; key?: string },
) {
  const message = buildRequestMessage(
    route,
    {
      bindings: new Map(Object.entries(parts.path ?? {})),
      query: new URLSearchParams(parts.query ?? ""),
      body: parts.body as never,
      idempotencyKey: parts.key,
    },
    registry,
  );
  return toJson(route.method.input, message, { registry }) as Record<string, unknown>;
}

function assertBadRequest(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.InvalidArgument);
    assert.match(error.rawMessage, pattern);
    return true;
  });
}

describe("building request messages", () => {
  it("maps query parameters by JSON or proto name, and path variables", () => {
    assert.deepEqual(build(routeOf("ListProducts"), { query: "pageSize=5&page_token=t&query=red%20mug" }), {
      pageSize: 5,
      pageToken: "t",
      query: "red mug",
    });
    assert.deepEqual(build(routeOf("GetProduct"), { path: { id: "p-1" } }), { id: "p-1" });
  });

  it("maps nested, repeated, enum (full, short, number), 64-bit and boolean query values", () => {
    const order = build(routeFor("shop.order.v1.Order"), {
      query: "status=confirmed&total.units=9007199254740993&total.currencyCode=EUR",
    });
    assert.deepEqual(order, {
      status: "ORDER_STATUS_CONFIRMED",
      total: { currencyCode: "EUR", units: "9007199254740993" },
    });
    assert.equal(
      build(routeFor("shop.order.v1.Order"), { query: "status=3" }).status,
      "ORDER_STATUS_CANCELLED",
    );
    assert.equal(
      build(routeFor("shop.order.v1.Order"), { query: "status=ORDER_STATUS_PENDING" }).status,
      "ORDER_STATUS_PENDING",
    );
    assert.deepEqual(build(routeFor("shop.common.v1.AccessRule"), { query: "roles=a&roles=b&public=true" }), {
      public: true,
      roles: ["a", "b"],
    });
  });

  it("reads a FieldMask query value as a comma list beside a field body with a nested path variable", () => {
    const json = build(routeOf("UpdateProduct"), {
      path: { "product.id": "p-7" },
      query: "updateMask=name,price",
      body: { id: "ignored", name: "Mug" },
    });
    assert.deepEqual(json, { product: { id: "p-7", name: "Mug" }, updateMask: "name,price" });
  });

  it('puts the whole body into the message for body "*", path variables winning', () => {
    const json = build(routeOf("SetStock"), {
      path: { product_id: "from-path" },
      body: { productId: "from-body", available: 3 },
    });
    assert.deepEqual(json, { productId: "from-path", available: 3 });
  });

  it("refuses a 64-bit integer sent as a JSON number beyond ±2^53 instead of storing it rounded", () => {
    const order = routeFor("shop.order.v1.Order", "*");
    // JSON.parse has already rounded 9007199254740993 to ...992: the edge must not pass that on.
    assertBadRequest(
      () => build(order, { body: JSON.parse('{"total":{"currencyCode":"EUR","units":9007199254740993}}') }),
      /"units" is a 64-bit integer beyond ±2\^53 .*send it as a string/,
    );
    assertBadRequest(
      () => build(order, { body: { total: { currencyCode: "EUR", units: -(2 ** 60) } } }),
      /"units" is a 64-bit integer beyond ±2\^53/,
    );
    // Exact as numbers up to 2^53 - 1; any size as strings.
    assert.deepEqual(build(order, { body: { total: { currencyCode: "EUR", units: 2 ** 53 - 1 } } }).total, {
      currencyCode: "EUR",
      units: "9007199254740991",
    });
    assert.deepEqual(
      build(order, { body: { total: { currencyCode: "EUR", units: "9007199254740993" } } }).total,
      { currencyCode: "EUR", units: "9007199254740993" },
    );
  });

  it("accepts short enum names inside JSON bodies", () => {
    const json = build(routeFor("shop.order.v1.Order", "*"), { body: { status: "Cancelled", items: [] } });
    assert.equal(json.status, "ORDER_STATUS_CANCELLED");
  });

  it("copies the Idempotency-Key header into idempotency_key", () => {
    const json = build(routeOf("PlaceOrder"), {
      body: { payment: { cardToken: "tok_visa" }, shippingAddress: { name: "A" } },
      key: "k-1",
    });
    assert.equal(json.idempotencyKey, "k-1");
  });

  it("refuses a body that leaves out or nulls a REQUIRED field the body must supply, naming it", () => {
    const setStock = routeOf("SetStock");
    const path = { product_id: "p1" };
    assertBadRequest(() => build(setStock, { path, body: {} }), /required field "available" is missing/);
    assertBadRequest(() => build(setStock, { path, body: { available: null } }), /"available"/);
    assertBadRequest(() => build(setStock, { path }), /"available"/);
    // An explicit 0 is supplied (proto3 JSON then leaves the default out of the built message).
    assert.deepEqual(build(setStock, { path, body: { available: 0 } }), { productId: "p1" });
    assertBadRequest(
      () => build(routeOf("AddItem"), { body: {} }),
      /required fields "productId", "quantity" are missing/,
    );
    assert.deepEqual(build(routeOf("AddItem"), { body: { product_id: "p", quantity: 1 } }), {
      productId: "p",
      quantity: 1,
    });
    assertBadRequest(() => build(routeOf("CreateProduct"), { body: { product: null } }), /"product"/);
    assertBadRequest(
      () => build(routeOf("PlaceOrder"), { body: { payment: { cardToken: "tok_visa" } }, key: "k" }),
      /"shippingAddress"/,
    );

    // Supplied elsewhere: `product` is REQUIRED, and the path sets product.id, so no body is needed.
    assert.deepEqual(build(routeOf("UpdateProduct"), { path: { "product.id": "p-7" } }), {
      product: { id: "p-7" },
    });
    // idempotency_key is REQUIRED but comes from the header; the service names the header if absent.
    const order = { payment: { cardToken: "tok_visa" }, shippingAddress: { name: "A" } };
    assert.deepEqual(build(routeOf("PlaceOrder"), { body: order }), order);
  });

  it("requires the body of a route whose body is one REQUIRED field", () => {
    assertBadRequest(
      () => build(withBody("CreateProduct", "product"), {}),
      /required field "product" is missing \(the body is its value\)/,
    );
    assertBadRequest(() => build(withBody("CreateProduct", "product"), { body: null }), /"product"/);
    assert.deepEqual(build(withBody("CreateProduct", "product"), { body: { name: "Mug" } }), {
      product: { name: "Mug" },
    });
  });

  it("rejects caller mistakes with InvalidArgument naming the problem", () => {
    assertBadRequest(
      () => build(routeOf("CreateProduct"), { body: { product: { nme: "x" } } }),
      /"nme" is unknown/,
    );
    assertBadRequest(() => build(routeOf("CreateProduct"), { body: [1] }), /JSON object/);
    assertBadRequest(
      () => build(routeOf("ListProducts"), { query: "colour=red" }),
      /unknown query parameter "colour"/,
    );
    assertBadRequest(
      () => build(routeOf("ListProducts"), { query: "pageSize=1&pageSize=2" }),
      /not repeated/,
    );
    // One field under its JSON and its proto name: the last spelling used to win silently.
    for (const query of ["pageSize=1&page_size=2", "page_size=2&pageSize=1"]) {
      assertBadRequest(
        () => build(routeOf("ListProducts"), { query }),
        /query parameters "(pageSize|page_size)" and "(pageSize|page_size)" set the same field/,
      );
    }
    assertBadRequest(() => build(routeOf("ListProducts"), { query: "pageSize=ten" }), /page_size/);
    assertBadRequest(
      () => build(routeOf("SetStock"), { path: { product_id: "p" }, query: "available=1" }),
      /JSON body/,
    );
    assertBadRequest(
      () => build(routeFor("shop.order.v1.Order"), { query: "status=SHIPPED" }),
      /status.*OrderStatus/,
    );
    assertBadRequest(
      () => build(routeFor("shop.common.v1.AccessRule"), { query: "public=yes" }),
      /true or false/,
    );
    assertBadRequest(
      () => build(routeOf("GetProduct"), { path: { id: "p" }, query: "id=q" }),
      /set by the URL path/,
    );
    assertBadRequest(() => build(routeOf("GetProduct"), { path: { id: "p" }, body: {} }), /no request body/);
  });
});
