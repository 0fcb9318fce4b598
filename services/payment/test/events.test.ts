import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { PaymentCaptured } from "@shop/gen/shop/payment/v1/events_pb";
import { PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { createTestTokenIssuer } from "@shop/platform/auth/testing";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { natsUrl, type PublishedEvents, watchPublishedEvents } from "@shop/platform/events/test-fixture";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import { loadPaymentConfig } from "../src/config.js";
import { type RunningPaymentService, startPaymentService } from "../src/service.js";

describe("payment events reach JetStream through the outbox relay", () => {
  let database: TestDatabase;
  let published: PublishedEvents;
  let service: RunningPaymentService;

  before(async () => {
    database = await createTestDatabase({ prefix: "payment_events" });
    published = await watchPublishedEvents("payment", "pay");
    const issuer = await createTestTokenIssuer();
    const config = loadPaymentConfig({
      DATABASE_URL: database.url,
      NATS_URL: natsUrl(),
      LOG_LEVEL: "silent",
    });
    service = await startPaymentService(
      { ...config, PORT: 0 },
      { verifier: issuer.verifier, eventsNamespace: published.namespace },
    );
  });

  after(async () => {
    await service?.shutdown();
    await published?.close();
    await database?.drop();
  });

  test("a capture is published as shop.payment.v1.PaymentCaptured, without the card token", async () => {
    const client = createClient(
      PaymentService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
    );
    const orderId = randomUUID();
    const { payment } = await client.charge({
      orderId,
      userId: "user-ev",
      amount: { currencyCode: "USD", units: 4n, nanos: 0 },
      cardToken: "tok_visa",
    });
    const subject = "shop.payment.v1.PaymentCaptured";
    const message = await published.lastMessage(subject);
    const { event } = decodeEvent(subject, message.data);
    const captured = event as unknown as PaymentCaptured;
    assert.equal(captured.orderId, orderId);
    assert.equal(captured.paymentId, payment?.id);
    assert.equal(captured.amount?.units, 4n);
    assert.equal(message.header?.get("Nats-Msg-Id"), event.eventId);
    assert.ok(!Buffer.from(message.data).includes(Buffer.from("tok_visa")));
  });
});
