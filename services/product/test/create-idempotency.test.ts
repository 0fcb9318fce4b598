/**
 * CreateProduct with an idempotency key, over gRPC against the real service and a fresh Postgres
 * database: a retried or concurrently repeated create makes one product and one ProductCreated.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import postgres from "postgres";
import { startTestProductService, type TestProductService } from "./harness.js";

async function failure(call: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

/** A product with a name no other test uses, so rows are counted by name. */
function kettle(name = `Kettle ${randomUUID()}`) {
  return {
    name,
    description: "Boils water",
    price: create(MoneySchema, { currencyCode: "EUR", units: 25n, nanos: 0 }),
  };
}

describe("CreateProduct with an idempotency key", () => {
  let shop: TestProductService;
  let sql: postgres.Sql;

  /** Products stored under `name`, and the ProductCreated events written for them. */
  async function stored(name: string): Promise<{ products: number; events: number }> {
    const ids = await sql<{ id: string }[]>`select id from products where name = ${name}`;
    // Event payloads are protobuf; the product id appears in them as text, so it can be matched.
    let events = 0;
    for (const { id } of ids) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from outbox
        where subject = 'shop.product.v1.ProductCreated' and position(${id}::bytea in payload) > 0`;
      events += row?.n ?? 0;
    }
    return { products: ids.length, events };
  }

  before(async () => {
    shop = await startTestProductService();
    sql = postgres(shop.databaseUrl, { max: 1, onnotice: () => {} });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await shop?.stop();
  });

  it("a repeat answers the product created the first time, as it is now, and creates nothing", async () => {
    const product = kettle();
    const idempotencyKey = randomUUID();
    const { product: first } = await shop.client.createProduct({ product, idempotencyKey });
    assert.ok(first);
    const { product: repeat } = await shop.client.createProduct({ product, idempotencyKey });
    assert.deepEqual(repeat, first);
    // The same product in another spelling (whitespace, ignored fields) is the same request.
    const { product: respelled } = await shop.client.createProduct({
      product: { ...product, name: `  ${product.name} `, id: randomUUID() },
      idempotencyKey,
    });
    assert.equal(respelled?.id, first.id);
    assert.deepEqual(await stored(product.name), { products: 1, events: 1 });

    // Updated since: the repeat answers the product as it is now.
    await shop.client.updateProduct({
      product: { id: first.id, description: "Boils water fast" },
      updateMask: create(FieldMaskSchema, { paths: ["description"] }),
    });
    const { product: later } = await shop.client.createProduct({ product, idempotencyKey });
    assert.equal(later?.id, first.id);
    assert.equal(later?.description, "Boils water fast");
  });

  it("20 concurrent creates with one key make exactly one product and one ProductCreated", async () => {
    const product = kettle();
    const idempotencyKey = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => shop.client.createProduct({ product, idempotencyKey })),
    );
    const ids = new Set(answers.map((answer) => answer.product?.id));
    assert.equal(ids.size, 1, `ids answered: ${[...ids].join(", ")}`);
    assert.deepEqual(await stored(product.name), { products: 1, events: 1 });
  });

  it("without a key every create makes a product; another key makes another", async () => {
    const product = kettle();
    await shop.client.createProduct({ product });
    await shop.client.createProduct({ product, idempotencyKey: "" });
    await shop.client.createProduct({ product, idempotencyKey: randomUUID() });
    const { product: keyed } = await shop.client.createProduct({ product, idempotencyKey: randomUUID() });
    assert.ok(keyed);
    assert.deepEqual(await stored(product.name), { products: 4, events: 4 });
  });

  it("a key reused for a different product creates nothing: FAILED_PRECONDITION naming the first product", async () => {
    const product = kettle();
    const idempotencyKey = randomUUID();
    const { product: first } = await shop.client.createProduct({ product, idempotencyKey });
    assert.ok(first);
    const other = kettle();
    for (const changed of [
      other,
      { ...product, description: "Another description" },
      { ...product, price: create(MoneySchema, { currencyCode: "EUR", units: 26n, nanos: 0 }) },
    ]) {
      const error = await failure(shop.client.createProduct({ product: changed, idempotencyKey }));
      assert.equal(error?.code, Code.FailedPrecondition);
      assert.match(error.rawMessage, /^idempotency_key was already used by this caller to create product/);
      assert.ok(error.rawMessage.includes(first.id), error.rawMessage);
    }
    assert.deepEqual(await stored(product.name), { products: 1, events: 1 });
    assert.deepEqual(await stored(other.name), { products: 0, events: 0 });
  });

  it("keys are per caller: another admin's identical key creates another product", async () => {
    const product = kettle();
    const idempotencyKey = randomUUID();
    const otherAdmin = shop.clientWithToken(
      await shop.issuer.sign({ userId: randomUUID(), email: "other@example.com", roles: ["admin"] }),
    );
    const { product: mine } = await shop.client.createProduct({ product, idempotencyKey });
    const { product: theirs } = await otherAdmin.createProduct({ product, idempotencyKey });
    assert.notEqual(theirs?.id, mine?.id);
    const { product: theirRepeat } = await otherAdmin.createProduct({ product, idempotencyKey });
    assert.equal(theirRepeat?.id, theirs?.id);
    assert.deepEqual(await stored(product.name), { products: 2, events: 2 });
  });

  it("a key longer than 128 characters or not printable ASCII is INVALID_ARGUMENT and creates nothing", async () => {
    const product = kettle();
    for (const idempotencyKey of ["k".repeat(129), "line\nbreak", "clé"]) {
      const error = await failure(shop.client.createProduct({ product, idempotencyKey }));
      assert.equal(error?.code, Code.InvalidArgument, JSON.stringify(idempotencyKey));
      assert.match(error.rawMessage, /^idempotency_key must be/);
    }
    assert.deepEqual(await stored(product.name), { products: 0, events: 0 });
    await shop.client.createProduct({ product, idempotencyKey: "k".repeat(128) });
    assert.deepEqual(await stored(product.name), { products: 1, events: 1 });
  });
});
