import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
} from "@shop/gen/shop/order/v1/events_pb";
import { createEvent } from "@shop/platform/events/event-codec";
import { notificationForOrderEvent, UnusableOrderEventError } from "./order-outcome.js";

describe("order outcome → notification", () => {
  test("OrderConfirmed becomes an ORDER_CONFIRMED notification for the order's user", () => {
    const orderId = randomUUID();
    const event = createEvent(OrderConfirmedSchema, {
      orderId,
      userId: "u-1",
      total: { currencyCode: "USD", units: 10n, nanos: 0 },
    });
    const n = notificationForOrderEvent(event);
    assert.equal(n.kind, "ORDER_CONFIRMED");
    assert.equal(n.userId, "u-1");
    assert.equal(n.orderId, orderId);
    assert.equal(n.eventId, event.eventId);
    assert.match(n.message, /confirmed: total USD 10\.00\.$/);
  });

  test("OrderCancelled becomes an ORDER_CANCELLED notification with the reason", () => {
    const event = createEvent(OrderCancelledSchema, {
      orderId: randomUUID(),
      userId: "u-2",
      reason: "card declined",
    });
    const n = notificationForOrderEvent(event);
    assert.equal(n.kind, "ORDER_CANCELLED");
    assert.equal(n.userId, "u-2");
    assert.match(n.message, /cancelled: card declined$/);
  });

  test("events without an order or user id, or of another type, are unusable", () => {
    const noUser = createEvent(OrderCancelledSchema, { orderId: randomUUID(), userId: " " });
    const noOrder = createEvent(OrderConfirmedSchema, { orderId: "", userId: "u" });
    const placed = createEvent(OrderPlacedSchema, { orderId: randomUUID(), userId: "u" });
    assert.throws(() => notificationForOrderEvent(noUser), UnusableOrderEventError);
    assert.throws(() => notificationForOrderEvent(noOrder), /order_id/);
    assert.throws(() => notificationForOrderEvent(placed), UnusableOrderEventError);
  });
});
