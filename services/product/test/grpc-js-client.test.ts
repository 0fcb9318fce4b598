import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { startTestProductService, type TestProductService } from "./harness.js";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Builds a ProductService client the way another team would: only from the .proto files, with
 * grpc-js and proto-loader, no generated TypeScript. Proves the server speaks plain gRPC.
 */
function loadProductClient(address: string) {
  const definition = protoLoader.loadSync("shop/product/v1/product.proto", {
    includeDirs: [`${repoRoot}proto`, `${repoRoot}node_modules/google-proto-files`],
    longs: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    shop: { product: { v1: { ProductService: grpc.ServiceClientConstructor } } };
  };
  return new loaded.shop.product.v1.ProductService(address, grpc.credentials.createInsecure());
}

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void;

function call(client: grpc.Client, method: string, request: object): Promise<Record<string, unknown>> {
  const fn = (client as unknown as Record<string, (req: object, cb: Callback) => void>)[method];
  assert.ok(fn, `client has ${method}`);
  return new Promise((resolve, reject) =>
    fn.call(client, request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

describe("a @grpc/grpc-js client built only from the .proto files", () => {
  let shop: TestProductService;
  let client: grpc.Client;
  before(async () => {
    shop = await startTestProductService();
    client = loadProductClient(`127.0.0.1:${shop.service.port}`);
  });
  after(async () => {
    client?.close();
    await shop?.stop();
  });

  it("calls GetProduct and reads the product created through Connect", async () => {
    const { product } = await shop.client.createProduct({
      product: {
        name: "Enamel Camping Mug",
        description: "Speckled blue enamel.",
        price: { currencyCode: "USD", units: 14n, nanos: 250_000_000 },
      },
    });
    const response = await call(client, "GetProduct", { id: product!.id });
    const got = response.product as Record<string, unknown>;
    assert.equal(got.id, product!.id);
    assert.equal(got.name, "Enamel Camping Mug");
    assert.deepEqual(got.price, { currencyCode: "USD", units: "14", nanos: 250_000_000 });
  });

  it("gets NOT_FOUND as a gRPC status for an unknown id", async () => {
    await assert.rejects(call(client, "GetProduct", { id: "3f1b8a52-2f5e-4c39-9d5a-2d1c0e7a9b41" }), {
      code: grpc.status.NOT_FOUND,
    });
  });
});
