import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type OrderPlaced, OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createEvent, decodeEvent } from "@shop/platform/events/event-codec";
import { natsUrl, type PublishedEvents, watchPublishedEvents } from "@shop/platform/events/test-fixture";
import { createLogger } from "@shop/platform/log";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import { startOrderEventRelay } from "../src/events.js";
import { sampleOrder } from "../src/store/order-store.contract.js";
import { createPostgresOrderStore } from "../src/store/postgres-order-store.js";

describe("order events reach JetStream through the outbox relay", () => {
  let database: TestDatabase;
  let published: PublishedEvents;
  let store: Awaited<ReturnType<typeof createPostgresOrderStore>>;
  let stopRelay: Array<() => Promise<void>> = [];

  before(async () => {
    database = await createTestDatabase({ prefix: "order_events" });
    published = await watchPublishedEvents("order", "ord");
    const logger = createLogger({ service: "order", level: "silent" });
    store = await createPostgresOrderStore({ url: database.url, logger });
    stopRelay = await startOrderEventRelay({
      natsUrl: natsUrl(),
      sql: store.sql,
      logger,
      namespace: published.namespace,
    });
  });

  after(async () => {
    for (const stop of stopRelay) await stop();
    await store?.close();
    await published?.close();
    await database?.drop();
  });

  test("a placed order is published as shop.order.v1.OrderPlaced with its event id as Nats-Msg-Id", async () => {
    const order = sampleOrder();
    const event = createEvent(OrderPlacedSchema, { orderId: order.id, userId: order.userId });
    await store.create(order, event);
    const subject = "shop.order.v1.OrderPlaced";
    const message = await published.lastMessage(subject);
    const decoded = decodeEvent(subject, message.data).event as unknown as OrderPlaced;
    assert.equal(decoded.orderId, order.id);
    assert.equal(decoded.eventId, event.eventId);
    assert.equal(message.header?.get("Nats-Msg-Id"), event.eventId);
  });
});
