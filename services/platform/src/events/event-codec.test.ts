import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { isUuid } from "../uuid.js";
import {
  createEvent,
  createEventRegistry,
  decodeEvent,
  EventDecodeError,
  encodeEvent,
  shopEventRegistry,
} from "./event-codec.js";

describe("event codec", () => {
  test("round-trips an event with its proto type name as subject", () => {
    const event = createEvent(OrderPlacedSchema, { orderId: "o1", userId: "u1" });
    assert.ok(isUuid(event.eventId));
    assert.ok(event.occurTime);
    const encoded = encodeEvent(event);
    assert.equal(encoded.subject, "shop.order.v1.OrderPlaced");
    assert.equal(encoded.eventId, event.eventId);
    const decoded = decodeEvent(encoded.subject, encoded.payload);
    assert.equal(decoded.schema.typeName, OrderPlacedSchema.typeName);
    assert.equal((decoded.event as typeof event).orderId, "o1");
  });

  test("knows every event of every domain", () => {
    const subjects = shopEventRegistry.subjects();
    for (const name of [
      "shop.order.v1.OrderConfirmed",
      "shop.payment.v1.PaymentCaptured",
      "shop.user.v1.UserRegistered",
    ]) {
      assert.ok(subjects.includes(name), name);
    }
  });

  test("refuses to encode an event without a UUID id", () => {
    const event = create(OrderPlacedSchema, { eventId: "not-a-uuid" });
    assert.throws(() => encodeEvent(event), /event_id must be a UUID/);
  });

  test("treats unknown subjects, garbage bytes and missing ids as poison", () => {
    assert.throws(() => decodeEvent("shop.order.v1.Nope", new Uint8Array()), EventDecodeError);
    assert.throws(
      () => decodeEvent("shop.order.v1.OrderPlaced", new Uint8Array([0xff, 0xff, 0xff])),
      EventDecodeError,
    );
    const noId = toBinary(OrderPlacedSchema, create(OrderPlacedSchema, { orderId: "o1" }));
    assert.throws(() => decodeEvent("shop.order.v1.OrderPlaced", noId), /no valid event_id/);
  });

  test("a registry accepts only event messages", () => {
    assert.throws(() => createEventRegistry([MoneySchema]), /is not an event/);
  });
});
