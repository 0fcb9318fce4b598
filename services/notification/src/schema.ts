import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";

/** The kinds of notification the service records, as stored (the proto enum names without prefix). */
export const notificationKinds = ["ORDER_CONFIRMED", "ORDER_CANCELLED"] as const;
export type NotificationKindName = (typeof notificationKinds)[number];

/**
 * Notifications sent to users about their orders.
 *
 * UNIQUE(order_id, kind): an order has at most one "confirmed" and one "cancelled" notification, so
 * the same outcome arriving twice under different event ids (an outbox re-send after a crash, a
 * duplicated publish) still records one row; dedupe by event id alone would not catch that.
 *
 * create_time keeps millisecond precision because the listing's keyset position (create_time, id)
 * travels in page tokens through JavaScript `Date`.
 */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey(),
    userId: text("user_id").notNull(),
    orderId: text("order_id").notNull(),
    kind: text("kind", { enum: notificationKinds }).notNull(),
    message: text("message").notNull(),
    /** The event that caused it, for tracing a notification back to the order service's outbox. */
    eventId: uuid("event_id").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    unique("notifications_order_id_kind_unique").on(table.orderId, table.kind),
    // The listing: `where user_id = $1 and (create_time, id) < ($2, $3) order by create_time desc, id desc`.
    index("notifications_user_create_time_id_idx").on(table.userId, table.createTime.desc(), table.id.desc()),
    check("notifications_kind_check", sql`${table.kind} in ('ORDER_CONFIRMED', 'ORDER_CANCELLED')`),
  ],
);

export type NotificationRow = typeof notifications.$inferSelect;
