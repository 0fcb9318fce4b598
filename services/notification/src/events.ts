import { NotificationSentSchema } from "@shop/gen/shop/notification/v1/events_pb";
import { type ConsumerBackoff, type EventConsumer, startConsumer } from "@shop/platform/events/consumer";
import { createEvent } from "@shop/platform/events/event-codec";
import type { Namespace } from "@shop/platform/events/namespace";
import { writeOutbox } from "@shop/platform/events/outbox";
import { startServiceEvents } from "@shop/platform/events/service-events";
import { deadLetterStream, domainStream } from "@shop/platform/events/streams";
import type { Logger } from "@shop/platform/log";
import type { Postgres } from "@shop/platform/postgres";
import type { Registry } from "prom-client";
import { kindToProto } from "./notification-proto.js";
import { notificationForOrderEvent, orderOutcomeSubjects } from "./order-outcome.js";
import type { NotificationStore } from "./store.js";

/**
 * Durable consumer name per subject. One consumer per subject rather than one with two filters:
 * multi-filter consumers need NATS ≥ 2.10, and separate consumers also show lag per outcome.
 */
export const orderOutcomeDurables: Readonly<Record<(typeof orderOutcomeSubjects)[number], string>> = {
  "shop.order.v1.OrderConfirmed": "notification-order-confirmed",
  "shop.order.v1.OrderCancelled": "notification-order-cancelled",
};

export interface NotificationEventsOptions {
  readonly natsUrl: string;
  readonly pg: Postgres;
  readonly store: NotificationStore;
  readonly logger: Logger;
  readonly namespace?: Namespace;
  readonly maxDeliver: number;
  readonly backoff: ConsumerBackoff;
  /**
   * The service's registry: the consumers export their backlog and the dead-letter stream's depth
   * there, and the outbox relay its lag and pending rows.
   */
  readonly metricsRegistry?: Registry;
}

/**
 * The notification service's event side: consumes OrderConfirmed and OrderCancelled from the order
 * stream and, for each, in ONE transaction with the platform's dedupe record, records the notification
 * and writes NotificationSent to the outbox; the outbox relay then publishes it.
 *
 * Why this shape: the consumer acks only after that transaction commits, so a crash means redelivery,
 * never a lost notification; the dedupe row skips a redelivered event id, and UNIQUE(order_id, kind)
 * catches the same outcome under a new event id. Streams (order, notification, dead letters) are
 * ensured first so the service can start before the order service ever published.
 *
 * Returns the hooks that stop everything, in order (consumers, relay, connection), to run before the
 * database pool closes.
 */
export async function startNotificationEvents(
  options: NotificationEventsOptions,
): Promise<Array<() => Promise<void>>> {
  const { pg, store, logger } = options;
  const namespace = options.namespace === undefined ? {} : { namespace: options.namespace };
  const events = await startServiceEvents({
    natsUrl: options.natsUrl,
    domain: "notification",
    sql: pg.sql,
    logger,
    extraStreams: [domainStream("order"), deadLetterStream],
    ...namespace,
    ...(options.metricsRegistry === undefined ? {} : { registry: options.metricsRegistry }),
  });
  const { nats } = events;
  const hooks: Array<() => Promise<void>> = [() => events.stop()];
  const stopAll = async () => {
    for (const hook of hooks) await hook();
  };
  try {
    for (const subject of orderOutcomeSubjects) {
      const consumer: EventConsumer = await startConsumer({
        js: nats.js,
        jsm: nats.jsm,
        stream: domainStream("order").name,
        durable: orderOutcomeDurables[subject],
        filterSubjects: [subject],
        db: pg.db,
        maxDeliver: options.maxDeliver,
        backoff: options.backoff,
        logger,
        ...namespace,
        ...(options.metricsRegistry === undefined ? {} : { metricsRegistry: options.metricsRegistry }),
        async handle(event, ctx) {
          if (!ctx.tx) throw new Error("the order outcome consumer needs a database transaction");
          const notification = notificationForOrderEvent(event);
          const row = await store.recordOnce(ctx.tx, notification);
          if (!row) {
            ctx.logger.info(
              { order_id: notification.orderId, kind: notification.kind },
              "order outcome already notified; duplicate ignored",
            );
            return;
          }
          const sent = createEvent(NotificationSentSchema, {
            notificationId: row.id,
            userId: row.userId,
            orderId: row.orderId,
            kind: kindToProto[row.kind],
          });
          await writeOutbox(ctx.tx, sent, ctx.traceparent ? { traceparent: ctx.traceparent } : {});
          ctx.logger.info({ notification_id: row.id, kind: row.kind }, "notification recorded");
        },
      });
      hooks.unshift(() => consumer.stop());
    }
    return hooks;
  } catch (error) {
    await stopAll();
    throw error;
  }
}
