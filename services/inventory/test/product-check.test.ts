import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import {
  createTestDatabase,
  freePort,
  startTestGrpcServer,
  type TestDatabase,
  type TestGrpcServer,
} from "@shop/platform/testing";
import postgres from "postgres";
import { loadProductConfig } from "../../product/src/config.js";
import { type ProductServiceHandle, startProductService } from "../../product/src/service.js";
import { parseInventoryConfig } from "../src/config.js";
import { type RunningInventoryService, startInventoryService } from "../src/service.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

describe("SetStock asks the product service that the product exists", () => {
  const databases: TestDatabase[] = [];
  const running: Array<{ shutdown(): Promise<void> }> = [];
  let issuer: TestTokenIssuer;
  let admin: { headers: Record<string, string> };
  let product: ProductServiceHandle;
  const pools: postgres.Sql[] = [];
  let inventorySql: postgres.Sql;
  let lastInventory: RunningInventoryService | undefined;

  const fresh = async (prefix: string) => {
    const database = await createTestDatabase({ prefix });
    databases.push(database);
    return database.url;
  };

  async function startInventory(
    productUrl: string,
    env: Record<string, string> = {},
  ): Promise<Client<typeof InventoryService>> {
    const databaseUrl = await fresh("inventory_pc");
    const config = parseInventoryConfig({
      DATABASE_URL: databaseUrl,
      PRODUCT_URL: productUrl,
      PRODUCT_TIMEOUT_MS: "2s",
      LOG_LEVEL: "silent",
      ...env,
    });
    const service: RunningInventoryService = await startInventoryService(
      { ...config, PORT: 0 },
      { verifier: issuer.verifier },
    );
    running.push(service);
    lastInventory = service;
    inventorySql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    pools.push(inventorySql);
    return createClient(
      InventoryService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
    );
  }

  before(async () => {
    issuer = await createTestTokenIssuer();
    const token = await issuer.sign({ userId: randomUUID(), email: "admin@example.com", roles: ["admin"] });
    admin = { headers: { authorization: `Bearer ${token}` } };
    product = await startProductService(
      { ...loadProductConfig({ DATABASE_URL: await fresh("product_pc"), LOG_LEVEL: "silent" }), PORT: 0 },
      { auth: issuer.verifier, processMetrics: false },
    );
    running.push(product);
  });

  after(async () => {
    for (const pool of pools) await pool.end({ timeout: 5 });
    for (const service of running.reverse()) await service.shutdown();
    for (const database of databases) await database.drop();
  });

  test("a catalog product gets its stock, stored under the catalog's canonical id", async () => {
    const inventory = await startInventory(`http://127.0.0.1:${product.port}`);
    const catalog = createClient(
      ProductService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${product.port}` }),
    );
    const { product: created } = await catalog.createProduct(
      { product: { name: "Kettle", price: { currencyCode: "EUR", units: 20n } } },
      admin,
    );
    assert.ok(created);

    const { stock } = await inventory.setStock({ productId: created.id.toUpperCase(), available: 7 }, admin);
    assert.deepEqual([stock?.productId, stock?.available], [created.id, 7]);
    const read = await inventory.getStock({ productId: created.id });
    assert.equal(read.stock?.available, 7);

    // An unknown product is NOT_FOUND, an id that cannot be a product's INVALID_ARGUMENT; neither is stored.
    const unknown = await failure(inventory.setStock({ productId: randomUUID(), available: 3 }, admin));
    assert.equal(unknown?.code, Code.NotFound, `expected NOT_FOUND, got ${unknown?.message}`);
    assert.match(unknown?.rawMessage ?? "", /not found/);
    const malformed = await failure(
      inventory.setStock({ productId: "p-not-a-catalog-id", available: 3 }, admin),
    );
    assert.equal(
      malformed?.code,
      Code.InvalidArgument,
      `expected INVALID_ARGUMENT, got ${malformed?.message}`,
    );
    const rows = await inventorySql`select product_id from stock`;
    assert.deepEqual(
      rows.map((row) => row.product_id),
      [created.id],
    );
  });

  test("the product service unreachable is UNAVAILABLE, and nothing is stored", async () => {
    const inventory = await startInventory(`http://127.0.0.1:${await freePort()}`);
    const error = await failure(inventory.setStock({ productId: randomUUID(), available: 3 }, admin));
    assert.equal(
      error?.code,
      Code.Unavailable,
      `expected UNAVAILABLE, got ${error?.code}: ${error?.message}`,
    );
    const [count] = await inventorySql<{ n: number }[]>`select count(*)::int as n from stock`;
    assert.equal(count?.n, 0);
  });

  test("UPSTREAM_RETRY_ATTEMPTS decides how often a failing lookup is sent: 3 by default, 1 behind a sidecar", async () => {
    let calls = 0;
    const flaky: TestGrpcServer = await startTestGrpcServer((router) =>
      router.service(ProductService, {
        getProduct() {
          calls++;
          throw new ConnectError("restarting", Code.Unavailable);
        },
      }),
    );
    running.push({ shutdown: () => flaky.close() });
    for (const [attempts, expected] of [
      [undefined, 3],
      ["1", 1],
    ] as const) {
      const inventory = await startInventory(
        flaky.baseUrl,
        attempts === undefined ? {} : { UPSTREAM_RETRY_ATTEMPTS: attempts },
      );
      calls = 0;
      const error = await failure(inventory.setStock({ productId: randomUUID(), available: 1 }, admin));
      assert.equal(error?.code, Code.Unavailable);
      assert.equal(calls, expected, `UPSTREAM_RETRY_ATTEMPTS=${attempts ?? "(default)"}`);
      await lastInventory?.shutdown(); // idempotent; frees its connections before the next one starts
    }
  });
});
