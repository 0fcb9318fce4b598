import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { rejectionCode } from "@shop/platform/testing";
import { startTestProductService, type TestProductService } from "./harness.js";

let shop: TestProductService;
before(async () => {
  shop = await startTestProductService();
});
after(() => shop.stop());

const price = { currencyCode: "EUR", units: 5n, nanos: 0 };

describe("product service access rules over gRPC", () => {
  it("requires a token for CreateProduct and UpdateProduct", async () => {
    const anonymous = shop.clientWithToken(undefined);
    assert.equal(
      await rejectionCode(anonymous.createProduct({ product: { name: "Mug", price } })),
      Code.Unauthenticated,
    );
    const { product } = await shop.client.createProduct({ product: { name: "Mug", price } });
    assert.equal(
      await rejectionCode(
        anonymous.updateProduct({
          product: { id: product?.id, name: "Cup" },
          updateMask: { paths: ["name"] },
        }),
      ),
      Code.Unauthenticated,
    );
  });

  it("refuses a signed-in user without the admin role", async () => {
    const token = await shop.issuer.sign({ userId: "u1", email: "ann@example.com", roles: [] });
    const customer = shop.clientWithToken(token);
    assert.equal(
      await rejectionCode(customer.createProduct({ product: { name: "Mug", price } })),
      Code.PermissionDenied,
    );
    const { product } = await shop.client.createProduct({ product: { name: "Plate", price } });
    assert.equal(
      await rejectionCode(
        customer.updateProduct({
          product: { id: product?.id, name: "Bowl" },
          updateMask: { paths: ["name"] },
        }),
      ),
      Code.PermissionDenied,
    );
    // The refused update changed nothing.
    assert.equal((await shop.client.getProduct({ id: product?.id ?? "" })).product?.name, "Plate");
  });

  it("refuses an expired admin token", async () => {
    const token = await shop.issuer.sign(
      { userId: "a1", email: "boss@example.com", roles: ["admin"] },
      { expiresInSeconds: -60 },
    );
    assert.equal(
      await rejectionCode(shop.clientWithToken(token).createProduct({ product: { name: "Mug", price } })),
      Code.Unauthenticated,
    );
  });

  it("serves the public reads to anonymous callers", async () => {
    const { product } = await shop.client.createProduct({ product: { name: "Teapot", price } });
    const anonymous = shop.clientWithToken(undefined);
    assert.equal((await anonymous.getProduct({ id: product?.id ?? "" })).product?.name, "Teapot");
    assert.ok((await anonymous.listProducts({})).products.length > 0);
  });
});
