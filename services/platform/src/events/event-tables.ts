import { sql } from "drizzle-orm";
import { customType, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** The bytes as a Buffer over the same memory (no copy): what Postgres drivers send as bytea. */
export function byteaBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

const bytea = customType<{ data: Uint8Array; driverData: Buffer }>({
  dataType: () => "bytea",
  toDriver: byteaBuffer,
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

/**
 * The transactional outbox, one per service database: an event row is inserted in the same transaction
 * as the business change, and the relay publishes it to JetStream afterwards. `id` is the event id and
 * the `Nats-Msg-Id`, so a row re-sent after a crash is dropped by JetStream's duplicate window.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: uuid("id").primaryKey(),
    subject: text("subject").notNull(),
    payload: bytea("payload").notNull(),
    headers: jsonb("headers").$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "date" }),
  },
  (table) => [
    index("outbox_pending_idx").on(table.createdAt).where(sql`${table.publishedAt} is null`),
    index("outbox_published_idx").on(table.publishedAt).where(sql`${table.publishedAt} is not null`),
  ],
);

/**
 * Events a consumer has already processed, inserted in the same transaction as the consumer's work.
 * The key includes the consumer (durable name) so several consumers sharing a database each process
 * every event once.
 */
export const processedEvents = pgTable(
  "processed_events",
  {
    consumer: text("consumer").notNull(),
    eventId: uuid("event_id").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.consumer, table.eventId] })],
);
