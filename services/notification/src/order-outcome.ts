import { isMessage } from "@bufbuild/protobuf";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import type { ShopEvent } from "@shop/platform/events/event-codec";
import { orderCancelledMessage, orderConfirmedMessage } from "./messages.js";
import type { NewNotification } from "./store.js";

/** The order events that become notifications; each is consumed on its own subject. */
export const orderOutcomeSubjects = [OrderConfirmedSchema.typeName, OrderCancelledSchema.typeName] as const;

/**
 * Thrown for an order event that decodes but cannot become a notification (no order or user id).
 * Retrying cannot fix it, so after the configured deliveries it lands in the dead-letter stream for an
 * operator, which is where a publisher bug should surface.
 */
export class UnusableOrderEventError extends Error {
  override readonly name = "UnusableOrderEventError";
}

/**
 * The notification an order outcome event stands for. Pure, so the mapping from events to what a
 * customer reads is tested without NATS or Postgres.
 */
export function notificationForOrderEvent(event: ShopEvent): NewNotification {
  if (isMessage(event, OrderConfirmedSchema)) {
    requireIds(event.$typeName, event.orderId, event.userId);
    return {
      userId: event.userId,
      orderId: event.orderId,
      kind: "ORDER_CONFIRMED",
      message: orderConfirmedMessage(event.orderId, event.total),
      eventId: event.eventId,
    };
  }
  if (isMessage(event, OrderCancelledSchema)) {
    requireIds(event.$typeName, event.orderId, event.userId);
    return {
      userId: event.userId,
      orderId: event.orderId,
      kind: "ORDER_CANCELLED",
      message: orderCancelledMessage(event.orderId, event.reason),
      eventId: event.eventId,
    };
  }
  throw new UnusableOrderEventError(`${event.$typeName} is not an order outcome this service notifies about`);
}

function requireIds(typeName: string, orderId: string, userId: string): void {
  const missing = [orderId.trim() === "" && "order_id", userId.trim() === "" && "user_id"].filter(Boolean);
  if (missing.length > 0) throw new UnusableOrderEventError(`${typeName} has no ${missing.join(" or ")}`);
}
