import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { CartClearedSchema } from "@shop/gen/shop/cart/v1/events_pb";
import { createEvent, encodeEvent } from "@shop/platform/events/event-codec";
import { type Namespace, namespacedSubject } from "@shop/platform/events/namespace";
import type { Logger } from "@shop/platform/log";
import { type JetStreamClient, headers as natsHeaders } from "nats";

/** Announces that a user's cart was emptied. */
export interface CartEvents {
  /**
   * Publishes CartCleared for `userId` and resolves once JetStream stored it (or already had it).
   * Rejects with Unavailable when every attempt failed, so the caller's retry publishes again.
   */
  cartCleared(userId: string, traceparent?: string): Promise<void>;
}

export interface CartEventsOptions {
  readonly js: JetStreamClient;
  readonly logger: Logger;
  /** Prefix of the subjects published to; tests pass a unique one. */
  readonly namespace?: Namespace;
  /** Publish attempts per event, the first included. Default 3. */
  readonly attempts?: number;
  /** Wait for JetStream's acknowledgement per attempt. Default 2 s. */
  readonly publishTimeoutMs?: number;
  /** Pause before the second attempt, doubled for each further one. Default 50 ms. */
  readonly backoffMs?: number;
}

/**
 * The cart's events, published straight to JetStream: the cart lives in Redis, so there is no
 * database transaction to put an outbox row in. The handler publishes AFTER the Redis change; each
 * attempt carries `Nats-Msg-Id` = event id, so an attempt retried after a lost acknowledgement is
 * stored once. Delivery is at least once through the caller: when all attempts fail the RPC fails
 * UNAVAILABLE, the caller retries ClearCart (idempotent), and that publishes again. A crash between
 * the Redis change and the publish loses the event — accepted for this informational event (see the
 * README); facts that others must never miss go through an outbox.
 */
export function createCartEvents(options: CartEventsOptions): CartEvents {
  const attempts = options.attempts ?? 3;
  const publishTimeoutMs = options.publishTimeoutMs ?? 2_000;
  const backoffMs = options.backoffMs ?? 50;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError("attempts must be an integer ≥ 1");
  const logger = options.logger.child({ component: "cart-events" });
  return {
    async cartCleared(userId, traceparent) {
      const encoded = encodeEvent(createEvent(CartClearedSchema, { userId }));
      const subject = namespacedSubject(options.namespace, encoded.subject);
      for (let attempt = 1; ; attempt++) {
        const headers = natsHeaders();
        if (traceparent) headers.set("traceparent", traceparent);
        try {
          await options.js.publish(subject, encoded.payload, {
            msgID: encoded.eventId,
            timeout: publishTimeoutMs,
            headers,
          });
          return;
        } catch (error) {
          const log = { err: error, event_id: encoded.eventId, subject: encoded.subject, attempt };
          if (attempt >= attempts) {
            logger.error(log, "CartCleared not published; the caller may retry ClearCart");
            throw new ConnectError(
              "the cart was cleared but its event could not be published; retry the call",
              Code.Unavailable,
            );
          }
          logger.warn(log, "CartCleared publish failed; retrying");
          await delay(backoffMs * 2 ** (attempt - 1));
        }
      }
    },
  };
}
