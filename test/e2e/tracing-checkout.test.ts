/**
 * One REST checkout is ONE trace: the edge's request span, the order service's PlaceOrder, the saga's
 * calls into inventory and payment, the OrderConfirmed event published from the outbox, and the
 * notification service's durable consumer that records the "confirmed" notification — over the real
 * system (every service and the edge in this process, real Postgres, Redis and JetStream), with an
 * in-memory span exporter shared by all of them (tracing is set up before the system starts).
 */

import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { createTestTracing, isChildOf, onlySpan, type TestTracing } from "@shop/platform/tracing/testing";
import { createRestClient, type RestClient } from "../support/rest-client.js";
import { eventually, type RunningSystem, startSystem } from "../support/system.js";

describe("tracing a REST checkout end to end", { timeout: 120_000 }, () => {
  let tt: TestTracing;
  let system: RunningSystem;
  let api: RestClient;

  before(async () => {
    tt = createTestTracing("e2e");
    system = await startSystem();
    api = createRestClient(system.edgeUrl);
  });
  after(async () => {
    await system?.stop();
    await tt?.shutdown();
  });

  it("covers edge → order → inventory and payment → outbox publish → notification consumer in one trace", async () => {
    const adminToken = await system.adminToken();
    const created = await api("POST", "/v1/products", {
      token: adminToken,
      body: { product: { name: `Traced lamp ${randomUUID()}`, price: { currencyCode: "EUR", units: "12" } } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const productId = created.body.product.id as string;
    const stocked = await api("PUT", `/v1/inventory/${productId}`, {
      token: adminToken,
      body: { available: 5 },
    });
    assert.equal(stocked.status, 200, JSON.stringify(stocked.body));

    const email = `tracer-${randomUUID()}@example.com`;
    const password = `pw-${randomUUID()}`;
    assert.equal(
      (await api("POST", "/v1/auth/register", { body: { email, password, name: "T" } })).status,
      200,
    );
    const token = (await api("POST", "/v1/auth/login", { body: { email, password } })).body
      .accessToken as string;
    const added = await api("POST", "/v1/cart/items", { token, body: { productId, quantity: 2 } });
    assert.equal(added.status, 200, JSON.stringify(added.body));

    // The REST client is itself traced: its traceparent names the trace everything must join.
    const traceId = randomBytes(16).toString("hex");
    const clientSpanId = randomBytes(8).toString("hex");
    const placed = await api("POST", "/v1/orders", {
      token,
      headers: { "idempotency-key": randomUUID(), traceparent: `00-${traceId}-${clientSpanId}-01` },
      body: {
        payment: { cardToken: "tok_visa" },
        shippingAddress: { name: "T", line1: "1 Main St", city: "Lyon", postalCode: "69001", country: "FR" },
      },
    });
    assert.equal(placed.status, 200, JSON.stringify(placed.body));
    const orderId = placed.body.order.id as string;

    await eventually("the order to be confirmed", async () => {
      const order = await api("GET", `/v1/orders/${orderId}`, { token });
      return order.body.order?.status === "ORDER_STATUS_CONFIRMED" || undefined;
    });
    await eventually("the confirmed notification", async () => {
      const list = await api("GET", "/v1/notifications", { token });
      return (
        (list.body.notifications ?? []).some((n: { orderId: string }) => n.orderId === orderId) || undefined
      );
    });
    // The consumer's span ends right after its transaction commits and the message is acked.
    const spans = await eventually("the consumer span of OrderConfirmed", async () => {
      const trace = tt.traceSpans(traceId);
      return trace.some(
        (s) => s.kind === SpanKind.CONSUMER && s.name === "process shop.order.v1.OrderConfirmed",
      )
        ? trace
        : undefined;
    });

    const server = (service: string, name: string) =>
      one(
        spans,
        (s) => s.kind === SpanKind.SERVER && s.name === name && s.attributes["shop.service"] === service,
      );

    // Edge: the REST request continues the client's trace; its upstream call is a child.
    const edgeRequest = server("edge", "POST /v1/orders");
    assert.equal(edgeRequest.parentSpanContext?.spanId, clientSpanId);
    assert.equal(edgeRequest.attributes["http.route"], "/v1/orders");
    assert.equal(edgeRequest.attributes["http.response.status_code"], 200);
    const edgeCall = onlySpan(spans, SpanKind.CLIENT, "shop.order.v1.OrderService/PlaceOrder");
    assert.ok(isChildOf(edgeCall, edgeRequest));

    // Order: PlaceOrder serves the edge's call; the saga's calls are its children.
    const placeOrder = server("order", "shop.order.v1.OrderService/PlaceOrder");
    assert.ok(isChildOf(placeOrder, edgeCall));
    for (const name of [
      "shop.inventory.v1.InventoryService/ReserveStock",
      "shop.payment.v1.PaymentService/Charge",
      "shop.inventory.v1.InventoryService/CommitReservation",
    ]) {
      const call = onlySpan(spans, SpanKind.CLIENT, name);
      assert.ok(isChildOf(call, placeOrder), `${name} is called on behalf of PlaceOrder`);
      assert.equal(call.attributes["shop.service"], "order");
      const service = name.startsWith("shop.inventory") ? "inventory" : "payment";
      assert.ok(isChildOf(server(service, name), call), `${service} serves ${name} in the same trace`);
    }

    // Events: the outbox row kept PlaceOrder's context; the relay's publish and the consumer follow.
    const publish = onlySpan(spans, SpanKind.PRODUCER, "publish shop.order.v1.OrderConfirmed");
    assert.ok(isChildOf(publish, placeOrder), "the event was written while PlaceOrder's span was active");
    const consume = onlySpan(spans, SpanKind.CONSUMER, "process shop.order.v1.OrderConfirmed");
    assert.ok(isChildOf(consume, publish), "the notification consumer continues the publisher's span");
    assert.equal(consume.attributes["messaging.system"], "nats");

    // Nothing of the checkout escaped into another trace.
    assert.ok(spans.every((s) => s.spanContext().traceId === traceId));
    assert.ok(spans.length >= 11, `expected the whole checkout in the trace, got ${spans.length} spans`);
  });
});

function one(spans: readonly ReadableSpan[], match: (span: ReadableSpan) => boolean): ReadableSpan {
  const found = spans.filter(match);
  assert.equal(
    found.length,
    1,
    `expected exactly one matching span among ${spans.map((s) => s.name).join(", ")}`,
  );
  return found[0] as ReadableSpan;
}
