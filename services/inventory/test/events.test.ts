import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { createTestTokenIssuer } from "@shop/platform/auth/testing";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { stripNamespace } from "@shop/platform/events/namespace";
import { natsUrl, type PublishedEvents, watchPublishedEvents } from "@shop/platform/events/test-fixture";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { parseInventoryConfig } from "../src/config.js";
import { type RunningInventoryService, startInventoryService } from "../src/service.js";

describe("inventory events reach JetStream through the outbox relay", () => {
  let database: TestDatabase;
  let published: PublishedEvents;
  let service: RunningInventoryService;

  before(async () => {
    database = await createTestDatabase({ prefix: "inventory_events" });
    published = await watchPublishedEvents("inventory", "inv");
    const issuer = await createTestTokenIssuer();
    const config = parseInventoryConfig({
      DATABASE_URL: database.url,
      NATS_URL: natsUrl(),
      LOG_LEVEL: "silent",
    });
    service = await startInventoryService(
      { ...config, PORT: 0 },
      { verifier: issuer.verifier, eventsNamespace: published.namespace },
    );
  });

  after(async () => {
    await service?.shutdown();
    await published?.close();
    await database?.drop();
  });

  test("a reservation is published as shop.inventory.v1.StockReserved with its event id as Nats-Msg-Id", async () => {
    const client = createClient(
      InventoryService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
    );
    const productId = randomUUID();
    const reservationId = randomUUID();
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      // Stock is seeded in SQL: SetStock needs an admin token, which is not what this test is about.
      await sql`insert into stock (product_id, available) values (${productId}, 5)`;
    } finally {
      await sql.end({ timeout: 5 });
    }
    await client.reserveStock({ reservationId, orderId: "order-ev", items: [{ productId, quantity: 2 }] });

    const subject = "shop.inventory.v1.StockReserved";
    const message = await published.lastMessage(subject);
    assert.equal(stripNamespace(published.namespace, message.subject), subject);
    const { event } = decodeEvent(subject, message.data);
    const reserved = event as unknown as { reservationId: string; orderId: string; items: unknown[] };
    assert.equal(reserved.reservationId, reservationId);
    assert.equal(reserved.orderId, "order-ev");
    assert.equal(reserved.items.length, 1);
    assert.equal(message.header?.get("Nats-Msg-Id"), event.eventId);
  });
});
