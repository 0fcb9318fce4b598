import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { postgresJsClientOf } from "../postgres-js-client.js";
import { traceparentOf } from "../tracing/propagation.js";
import { type EventRegistry, encodeEvent, type ShopEvent, shopEventRegistry } from "./event-codec.js";
import { byteaBuffer, outbox } from "./event-tables.js";

/** The Postgres channel the relay LISTENs on; the outbox table's trigger NOTIFYs it on every insert. */
export const outboxChannel = "outbox";

/**
 * A drizzle database or, as intended, a drizzle transaction (`db.transaction(async (tx) => …)`).
 * Any Postgres driver works; the services use postgres.js.
 */
export type OutboxTransaction = Pick<
  PgDatabase<PgQueryResultHKT, Record<string, unknown>>,
  "insert" | "execute"
>;

export interface WriteOutboxOptions {
  /**
   * W3C trace context of the request that caused the event; travels as the NATS `traceparent`
   * header. Only used outside a traced context: inside one, the active span's context is stored.
   */
  readonly traceparent?: string;
  /** Where the event type is looked up; all shop events by default. */
  readonly registry?: EventRegistry;
}

/**
 * Records an event to be published, inside the caller's transaction (a drizzle `tx`).
 *
 * Why: the event must exist if and only if the business change committed — publishing to NATS
 * directly could publish a change that then rolls back, or lose the event if the process dies after
 * the commit. The row commits or rolls back with the change; the relay publishes it later.
 * A statement trigger on the table sends the relay's `NOTIFY` (migration 0001), which Postgres
 * delivers at commit and never for a rolled-back row; so this is one INSERT, with no extra round trip
 * on the caller's hot path, sent as a prepared statement where the transaction is postgres.js's.
 * The trace context active now (the handler's span) is stored with the row, so the relay's publish
 * and every consumer join the trace of the request that caused the event.
 * Returns the event id. Throws TypeError for an unknown event type or a non-UUID event id.
 */
export async function writeOutbox(
  tx: OutboxTransaction,
  event: ShopEvent,
  options: WriteOutboxOptions = {},
): Promise<string> {
  const encoded = encodeEvent(event, options.registry ?? shopEventRegistry);
  const headers: Record<string, string> = {};
  const traceparent = traceparentOf() ?? options.traceparent;
  if (traceparent) headers.traceparent = traceparent;
  const client = postgresJsClientOf(tx);
  if (client) {
    // A prepared statement on the transaction's own connection (see postgresJsClientOf); the casts
    // pin the parameter types, so no driver-level serializer (which drizzle replaces) is involved.
    await client`
      insert into outbox (id, subject, payload, headers)
      values (${encoded.eventId}::uuid, ${encoded.subject}::text, ${byteaBuffer(encoded.payload)}, ${JSON.stringify(headers)}::text::jsonb)`;
  } else {
    await tx.insert(outbox).values({
      id: encoded.eventId,
      subject: encoded.subject,
      payload: encoded.payload,
      headers,
    });
  }
  return encoded.eventId;
}
