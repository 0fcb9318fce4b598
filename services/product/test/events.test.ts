import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, equals, fromBinary } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { ProductCreatedSchema, ProductUpdatedSchema } from "@shop/gen/shop/product/v1/events_pb";
import { ProductSchema } from "@shop/gen/shop/product/v1/product_pb";
import { decodeEvent } from "@shop/platform/events/event-codec";
import {
  natsUrl,
  type PublishedEvents,
  waitFor,
  watchPublishedEvents,
} from "@shop/platform/events/test-fixture";
import postgres from "postgres";
import { startTestProductService, type TestProductService } from "./harness.js";

interface OutboxRow {
  id: string;
  subject: string;
  payload: Uint8Array;
}

const lamp = {
  name: "Brass lamp",
  description: "A lamp",
  price: create(MoneySchema, { currencyCode: "EUR", units: 30n, nanos: 500_000_000 }),
};

describe("product events are written to the outbox with the change", () => {
  let shop: TestProductService;
  let sql: postgres.Sql;
  const rowsOf = (productId: string) =>
    // The payload is protobuf; its product id is found by decoding, so filter after the query.
    sql<OutboxRow[]>`select id, subject, payload from outbox order by created_at, id`.then((rows) =>
      rows.filter((row) => decodedProductId(row) === productId),
    );

  before(async () => {
    shop = await startTestProductService();
    sql = postgres(shop.databaseUrl, { max: 1, onnotice: () => {} });
  });
  after(async () => {
    await sql?.end({ timeout: 5 });
    await shop?.stop();
  });

  it("CreateProduct leaves exactly one outbox row: ProductCreated with the product as returned", async () => {
    const { product } = await shop.client.createProduct({ product: lamp });
    assert.ok(product);
    const rows = await rowsOf(product.id);
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.ok(row);
    assert.equal(row.subject, "shop.product.v1.ProductCreated");
    const event = fromBinary(ProductCreatedSchema, row.payload);
    assert.equal(event.eventId, row.id, "the row id is the event id (the Nats-Msg-Id)");
    assert.ok(event.product && equals(ProductSchema, event.product, product));
    assert.deepEqual(event.occurTime, product.createTime);
  });

  it("UpdateProduct adds one ProductUpdated carrying the whole product after the change", async () => {
    const { product: created } = await shop.client.createProduct({ product: lamp });
    assert.ok(created);
    const { product: updated } = await shop.client.updateProduct({
      product: { id: created.id, name: "Copper lamp" },
      updateMask: create(FieldMaskSchema, { paths: ["name"] }),
    });
    assert.ok(updated);
    const rows = await rowsOf(created.id);
    assert.deepEqual(
      rows.map((row) => row.subject),
      ["shop.product.v1.ProductCreated", "shop.product.v1.ProductUpdated"],
    );
    const event = fromBinary(ProductUpdatedSchema, rows[1]?.payload ?? new Uint8Array());
    assert.ok(event.product && equals(ProductSchema, event.product, updated));
    assert.equal(event.product.name, "Copper lamp");
    assert.equal(event.product.description, lamp.description, "unchanged fields are in the event too");
  });

  it("a rejected or failed change writes no event", async () => {
    const before = await sql<{ n: number }[]>`select count(*)::int as n from outbox`;
    await assert.rejects(shop.client.createProduct({ product: { ...lamp, name: "" } }));
    await assert.rejects(
      shop.client.updateProduct({
        product: { id: "00000000-0000-4000-8000-000000000000", name: "Ghost" },
        updateMask: create(FieldMaskSchema, { paths: ["name"] }),
      }),
    );
    const after = await sql<{ n: number }[]>`select count(*)::int as n from outbox`;
    assert.equal(after[0]?.n, before[0]?.n);
  });
});

describe("product events reach JetStream through the relay when NATS_URL is set", () => {
  let shop: TestProductService;
  let published: PublishedEvents;

  before(async () => {
    published = await watchPublishedEvents("product", "prod");
    shop = await startTestProductService({
      env: { NATS_URL: natsUrl() },
      eventsNamespace: published.namespace,
    });
  });
  after(async () => {
    await shop?.stop();
    await published?.close();
  });

  it("ProductCreated is published on its proto name with the event id as Nats-Msg-Id", async () => {
    const { product } = await shop.client.createProduct({ product: lamp });
    assert.ok(product);
    const subject = "shop.product.v1.ProductCreated";
    const message = await published.lastMessage(subject);
    const { event } = decodeEvent(subject, message.data);
    assert.equal(message.header?.get("Nats-Msg-Id"), event.eventId);
    assert.equal((event as unknown as { product: { id: string } }).product.id, product.id);
  });

  it("the relay's lag and backlog are on the service's own /metrics registry", async () => {
    await shop.client.createProduct({ product: lamp });
    const text = await waitFor("a publish on the relay's metrics", async () => {
      const rendered = await shop.service.metrics.render();
      return /^outbox_published_total\{service="product"\} [1-9]/m.test(rendered) && rendered;
    });
    assert.match(text, /^outbox_relay_lag_seconds_count\{service="product"\} [1-9]/m);
    assert.match(text, /^outbox_pending_events\{service="product"\} \d+$/m);
  });
});

function decodedProductId(row: OutboxRow): string | undefined {
  const schema = row.subject.endsWith("ProductCreated") ? ProductCreatedSchema : ProductUpdatedSchema;
  return fromBinary(schema, row.payload).product?.id;
}
