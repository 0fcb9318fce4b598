import assert from "node:assert/strict";
import { describe, it } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { loadContractsFile } from "../descriptors.js";
import { createRouteTable } from "../routes/route-table.js";
import { createOpenApiDocument, pathShape } from "./openapi-document.js";

const routes = createRouteTable(loadContractsFile().services).routes;
const doc = createOpenApiDocument(routes) as {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
};

describe("OpenAPI document", () => {
  it("is valid OpenAPI 3.1", async () => {
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  it("has one operation per REST route, with security only where the access rule needs a token", () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m} ${path}`),
    );
    assert.equal(operations.length, routes.length);
    for (const route of routes) {
      const path = Object.keys(doc.paths).find((p) => pathShape(p) === pathShape(route.template.source));
      const op = path === undefined ? undefined : doc.paths[path]?.[route.httpMethod.toLowerCase()];
      assert.ok(op, `${route.httpMethod} ${route.template.source}`);
      assert.deepEqual(op.security, route.access.kind === "public" ? [] : [{ bearerAuth: [] }]);
    }
  });

  it("never has two paths that differ only in parameter names (OpenAPI forbids it)", () => {
    // Independent of pathShape on purpose: this checks the rule itself, not the code that applies it.
    const shapes = Object.keys(doc.paths).map((path) => path.replace(/\{[^}]*\}/g, "{}"));
    assert.deepEqual(shapes, [...new Set(shapes)]);
    const update = doc.paths["/v1/products/{id}"]?.patch as {
      parameters: Array<{ name: string; in: string; description?: string }>;
    };
    const id = update.parameters.find((p) => p.in === "path");
    assert.equal(id?.name, "id");
    assert.match(String(id?.description), /Sets `product\.id` of the request/);
  });

  it("uses proto3 JSON shapes and the proto comments", () => {
    const money = doc.components.schemas["shop.common.v1.Money"]?.properties;
    assert.equal(money?.units?.type, "string");
    assert.equal(money?.units?.format, "int64");
    const product = doc.components.schemas["shop.product.v1.Product"]?.properties;
    assert.equal(product?.createTime?.format, "date-time");
    assert.equal(product?.createTime?.readOnly, true);
    assert.match(String(product?.name?.description), /Display name/);
    const list = doc.paths["/v1/products"]?.get as { parameters: Array<{ name: string; in: string }> };
    assert.deepEqual(
      list.parameters.map((p) => `${p.in}:${p.name}`),
      ["query:pageSize", "query:pageToken", "query:query"],
    );
  });

  it("documents a field-mask update's body as a partial resource, while create still requires its fields", () => {
    type BodySchema = {
      $ref?: string;
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    const bodyOf = (op: Record<string, unknown> | undefined): BodySchema => {
      const body = op?.requestBody as { content: { "application/json": { schema: BodySchema } } } | undefined;
      assert.ok(body, "the operation has a request body");
      return body.content["application/json"].schema;
    };
    const product = doc.components.schemas["shop.product.v1.Product"] as BodySchema;
    assert.deepEqual(product.required, ["name", "price"]);

    // PATCH /v1/products/{product.id} with body "product" and an update_mask: `{"price": …}` is valid.
    const update = bodyOf(doc.paths["/v1/products/{id}"]?.patch);
    assert.equal(update.$ref, undefined, "a $ref to Product would bring Product's required list along");
    assert.ok(!(update.required ?? []).includes("name"));
    assert.ok(!(update.required ?? []).includes("price"));
    assert.deepEqual(Object.keys(update.properties ?? {}), Object.keys(product.properties ?? {}));
    assert.equal(update.properties?.createTime?.readOnly, true);

    // POST /v1/products (body "*"): CreateProductRequest without idempotency_key (the Idempotency-Key
    // header), whose `product` is still the whole Product.
    const create = bodyOf(doc.paths["/v1/products"]?.post);
    assert.deepEqual(Object.keys(create.properties ?? {}), ["product"]);
    assert.deepEqual(create.required, ["product"]);
    assert.equal(create.properties?.product?.$ref, "#/components/schemas/shop.product.v1.Product");
  });

  it("documents idempotency_key as the Idempotency-Key header, not as a body field", () => {
    const place = doc.paths["/v1/orders"]?.post as {
      parameters: Array<{ name: string; in: string; required: boolean }>;
      requestBody: {
        content: { "application/json": { schema: { properties: object; required?: string[] } } };
      };
    };
    assert.deepEqual(
      place.parameters.map((p) => `${p.in}:${p.name}:${p.required}`),
      ["header:Idempotency-Key:true"],
    );
    const body = place.requestBody.content["application/json"].schema;
    assert.ok(!("idempotencyKey" in body.properties));
    assert.ok(!(body.required ?? []).includes("idempotencyKey"));
    assert.deepEqual(body.required, ["payment", "shippingAddress"]);
  });

  it("marks a request body required only where the edge refuses the call without one", () => {
    const requestBodyOf = (operation: unknown) =>
      (operation as { requestBody: { required: boolean } }).requestBody;
    assert.equal(
      requestBodyOf(doc.paths["/v1/orders"]?.post).required,
      true,
      "payment and address are REQUIRED",
    );
    assert.equal(requestBodyOf(doc.paths["/v1/products"]?.post).required, true, "product is REQUIRED");
    // CancelOrder's only body field (a reason) is optional: `{}` and no body at all both cancel.
    assert.equal(requestBodyOf(doc.paths["/v1/orders/{id}:cancel"]?.post).required, false);
  });

  it("lists an optional Idempotency-Key header for AddItem and CreateProduct, whose keys are optional", () => {
    for (const path of ["/v1/cart/items", "/v1/products"]) {
      const post = doc.paths[path]?.post as {
        parameters?: Array<{ name: string; in: string; required: boolean }>;
        requestBody: { content: { "application/json": { schema: { properties?: object; $ref?: string } } } };
      };
      assert.deepEqual(
        (post.parameters ?? []).map((p) => `${p.in}:${p.name}:${p.required}`),
        ["header:Idempotency-Key:false"],
        path,
      );
      const body = post.requestBody.content["application/json"].schema;
      assert.ok(body.properties && !("idempotencyKey" in body.properties), `${path}: not a body field`);
    }
  });
});
