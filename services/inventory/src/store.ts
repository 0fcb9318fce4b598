import {
  StockChangedSchema,
  StockCommittedSchema,
  StockReleasedSchema,
  StockReservedSchema,
} from "@shop/gen/shop/inventory/v1/events_pb";
import { createEvent, type ShopEvent } from "@shop/platform/events/event-codec";
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type ReservationStatusValue, reservationItems, reservations, stock } from "./schema.js";

/** Stock of one product as the API reports it. */
export interface StockLevel {
  readonly productId: string;
  readonly available: number;
  readonly reserved: number;
}

export interface ReservedItem {
  readonly productId: string;
  readonly quantity: number;
}

export interface ReservationRecord {
  readonly id: string;
  readonly orderId: string;
  /** Sorted by product id, so the same reservation always reads back the same way. */
  readonly items: readonly ReservedItem[];
  readonly status: ReservationStatusValue;
}

/** What ReserveStock asks for; items must already be validated (unique product ids, quantities ≥ 1). */
export interface ReserveInput {
  readonly reservationId: string;
  readonly orderId: string;
  readonly items: readonly ReservedItem[];
}

/** Outcome of a reserve: the store reports business refusals as values, not exceptions. */
export type ReserveResult =
  | { readonly kind: "reserved"; readonly reservation: ReservationRecord; readonly created: boolean }
  | { readonly kind: "insufficient"; readonly productId: string; readonly requested: number }
  | { readonly kind: "conflict"; readonly existing: ReservationRecord }
  /** The id was released before this reserve arrived (see `releasedFirstOrderId`): nothing reserved. */
  | { readonly kind: "released-first" };

/** Outcome of commit or release. */
export type TransitionResult =
  | { readonly kind: "done"; readonly reservation: ReservationRecord; readonly changed: boolean }
  | { readonly kind: "not-found" }
  | { readonly kind: "wrong-status"; readonly reservation: ReservationRecord };

/** Data access of the inventory service. Every method is one transaction. */
export interface InventoryStore {
  getStock(productId: string): Promise<StockLevel>;
  setStock(productId: string, available: number): Promise<StockLevel>;
  reserve(input: ReserveInput): Promise<ReserveResult>;
  commit(reservationId: string): Promise<TransitionResult>;
  release(reservationId: string): Promise<TransitionResult>;
  /**
   * Deletes up to `limit` marker rows of ids released before they were reserved (see
   * `releasedFirstOrderId`) that were written before `before`, in one statement; returns how many.
   * Real reservations are never touched. Markers locked by a release running now are skipped.
   */
  purgeReleaseMarkers(before: Date, limit: number): Promise<number>;
}

type Db = PostgresJsDatabase<Record<string, unknown>>;
/** A drizzle transaction of the inventory database. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * Records an event inside the transaction of the change it describes (the platform outbox in
 * production), so an event exists if and only if its change committed.
 */
export type RecordEvent = (tx: Tx, event: ShopEvent) => Promise<unknown>;

/**
 * The `order_id` of a reservation row that records only "released before it was ever made".
 *
 * Why such rows exist: the saga compensates a reserve that timed out with a release, and NOT_FOUND
 * tells it nothing was held. A ReserveStock still on its way (a stalled process, a slow lock) would
 * otherwise land afterwards and hold the units for a cancelled order forever. Releasing an unknown id
 * therefore claims the id with this marker, and a later reserve of it reserves nothing. Real
 * reservations always have an order id (ReserveStock requires one), so the empty one cannot clash.
 *
 * A marker only has to outlive the calls that could still bring that reserve, so the service deletes
 * markers older than RELEASE_MARKER_RETENTION_MS (`purgeReleaseMarkers`, run by
 * release-marker-purge.ts); without that the table would grow with every compensated timeout. Past
 * the retention no ReserveStock of the id can still arrive: every caller's deadline (the saga's
 * SAGA_STEP_TIMEOUT_MS, 5 s by default; the platform client's 2 s; the sidecar routes' few seconds)
 * and the server's own 5-minute cap on any deadline are far shorter than the retention (24 h by
 * default, at least 1 h), and the saga compensates only after its reserve calls have failed and never
 * reserves again once compensating. After a purge the id is free again, as if never used.
 */
const releasedFirstOrderId = "";

function isReleasedFirst(reservation: ReservationRecord): boolean {
  return reservation.orderId === releasedFirstOrderId;
}

/** Thrown inside a transaction only to roll it back; never escapes the store. */
class Rollback extends Error {
  constructor(readonly result: ReserveResult) {
    super("rollback");
  }
}

/**
 * Builds the Postgres-backed inventory store.
 *
 * Why conditional updates rather than read-check-write: `UPDATE … WHERE available >= q` checks and
 * decrements in one statement under the row lock, so no interleaving of concurrent reservations can
 * oversell, and the CHECK constraints back that up. Rows are always locked in the same order (the
 * reservation row first, then stock rows by product id), so concurrent reservations cannot deadlock.
 */
export function createInventoryStore(db: Db, recordEvent: RecordEvent): InventoryStore {
  async function readReservation(
    tx: Db | Tx,
    id: string,
    lock: boolean,
  ): Promise<ReservationRecord | undefined> {
    const query = tx.select().from(reservations).where(eq(reservations.id, id));
    const [row] = lock ? await query.for("update") : await query;
    if (!row) return undefined;
    const items = await tx
      .select({ productId: reservationItems.productId, quantity: reservationItems.quantity })
      .from(reservationItems)
      .where(eq(reservationItems.reservationId, id));
    items.sort((a, b) => compare(a.productId, b.productId));
    return { id: row.id, orderId: row.orderId, status: row.status, items };
  }

  async function transition(reservationId: string, to: "COMMITTED" | "RELEASED"): Promise<TransitionResult> {
    return db.transaction(async (tx) => {
      let current = await readReservation(tx, reservationId, true);
      if (!current && to === "RELEASED") {
        // Claim the id so that no reserve can take it later. A reserve holding the id uncommitted
        // makes this insert wait; if it commits, the insert does nothing and its reservation is
        // released below.
        const fenced = await tx
          .insert(reservations)
          .values({ id: reservationId, orderId: releasedFirstOrderId, status: "RELEASED" })
          .onConflictDoNothing({ target: reservations.id })
          .returning({ id: reservations.id });
        if (fenced.length === 1) return { kind: "not-found" };
        current = await readReservation(tx, reservationId, true);
      }
      if (!current || isReleasedFirst(current)) return { kind: "not-found" };
      if (current.status === to) return { kind: "done", reservation: current, changed: false };
      if (current.status !== "RESERVED") return { kind: "wrong-status", reservation: current };
      for (const item of current.items) {
        const set =
          to === "COMMITTED"
            ? { reserved: sql`${stock.reserved} - ${item.quantity}`, updatedAt: sql`now()` }
            : {
                reserved: sql`${stock.reserved} - ${item.quantity}`,
                available: sql`${stock.available} + ${item.quantity}`,
                updatedAt: sql`now()`,
              };
        const updated = await tx
          .update(stock)
          .set(set)
          .where(and(eq(stock.productId, item.productId), gte(stock.reserved, item.quantity)))
          .returning({ productId: stock.productId });
        if (updated.length !== 1) {
          // Only reachable if someone edited the tables by hand: refuse rather than corrupt counts.
          throw new Error(`stock of ${item.productId} does not cover reservation ${reservationId}`);
        }
      }
      await tx
        .update(reservations)
        .set({ status: to, updatedAt: sql`now()` })
        .where(eq(reservations.id, reservationId));
      const schema = to === "COMMITTED" ? StockCommittedSchema : StockReleasedSchema;
      await recordEvent(tx, createEvent(schema, { reservationId, orderId: current.orderId }));
      return { kind: "done", reservation: { ...current, status: to }, changed: true };
    });
  }

  return {
    async getStock(productId) {
      const [row] = await db
        .select({ productId: stock.productId, available: stock.available, reserved: stock.reserved })
        .from(stock)
        .where(eq(stock.productId, productId));
      return row ?? { productId, available: 0, reserved: 0 };
    },

    setStock(productId, available) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(stock)
          .values({ productId, available })
          .onConflictDoUpdate({ target: stock.productId, set: { available, updatedAt: sql`now()` } })
          .returning({ productId: stock.productId, available: stock.available, reserved: stock.reserved });
        if (!row) throw new Error("upsert returned no row");
        await recordEvent(tx, createEvent(StockChangedSchema, { stock: row }));
        return row;
      });
    },

    async reserve(input) {
      const items = [...input.items].sort((a, b) => compare(a.productId, b.productId));
      try {
        return await db.transaction(async (tx): Promise<ReserveResult> => {
          // Claim the id first. A concurrent duplicate waits here on the primary key until the
          // first transaction ends, then sees its committed row (or takes the id if it rolled back).
          const claimed = await tx
            .insert(reservations)
            .values({ id: input.reservationId, orderId: input.orderId, status: "RESERVED" })
            .onConflictDoNothing({ target: reservations.id })
            .returning({ id: reservations.id });
          if (claimed.length === 0) {
            const existing = await readReservation(tx, input.reservationId, false);
            if (!existing) throw new Error(`reservation ${input.reservationId} vanished`);
            if (isReleasedFirst(existing)) return { kind: "released-first" };
            return sameRequest(existing, input.orderId, items)
              ? { kind: "reserved", reservation: existing, created: false }
              : { kind: "conflict", existing };
          }
          for (const item of items) {
            const updated = await tx
              .update(stock)
              .set({
                available: sql`${stock.available} - ${item.quantity}`,
                reserved: sql`${stock.reserved} + ${item.quantity}`,
                updatedAt: sql`now()`,
              })
              .where(and(eq(stock.productId, item.productId), gte(stock.available, item.quantity)))
              .returning({ productId: stock.productId });
            if (updated.length !== 1) {
              throw new Rollback({
                kind: "insufficient",
                productId: item.productId,
                requested: item.quantity,
              });
            }
          }
          await tx
            .insert(reservationItems)
            .values(items.map((item) => ({ reservationId: input.reservationId, ...item })));
          await recordEvent(
            tx,
            createEvent(StockReservedSchema, {
              reservationId: input.reservationId,
              orderId: input.orderId,
              items: items.map((item) => ({ ...item })),
            }),
          );
          return {
            kind: "reserved",
            created: true,
            reservation: { id: input.reservationId, orderId: input.orderId, items, status: "RESERVED" },
          };
        });
      } catch (error) {
        if (error instanceof Rollback) return error.result;
        throw error;
      }
    },

    commit: (reservationId) => transition(reservationId, "COMMITTED"),
    release: (reservationId) => transition(reservationId, "RELEASED"),

    async purgeReleaseMarkers(before, limit) {
      // One bounded statement, so a purge never holds many row locks for long. SKIP LOCKED: a marker
      // that a repeated release holds right now is left for the next pass rather than waited for.
      // No index of its own: markers all sit under one key of reservations_order_id_idx (order_id
      // = ''), and they are rare, so the index finds them without reading any real reservation.
      const due = db
        .select({ id: reservations.id })
        .from(reservations)
        .where(
          and(
            eq(reservations.orderId, releasedFirstOrderId),
            eq(reservations.status, "RELEASED"),
            lt(reservations.createdAt, before),
          ),
        )
        .limit(limit)
        .for("update", { skipLocked: true });
      // `= any(array(...))` rather than `in (...)`: the array is built once, so the LIMIT holds even if
      // the planner would otherwise scan the subquery more than once (as the inner side of a join).
      const deleted = await db
        .delete(reservations)
        .where(sql`${reservations.id} = any(array(${due}))`)
        .returning({ id: reservations.id });
      return deleted.length;
    },
  };
}

/** Byte-wise order, identical to Postgres' "C" collation, so the lock order never depends on locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameRequest(
  existing: ReservationRecord,
  orderId: string,
  sortedItems: readonly ReservedItem[],
): boolean {
  if (existing.orderId !== orderId || existing.items.length !== sortedItems.length) return false;
  const quantities = new Map(existing.items.map((item) => [item.productId, item.quantity]));
  return sortedItems.every((item) => quantities.get(item.productId) === item.quantity);
}
