import { fileURLToPath } from "node:url";
import type { ShopEvent } from "@shop/platform/events/event-codec";
import { writeOutbox } from "@shop/platform/events/outbox";
import type { Logger } from "@shop/platform/log";
import { isUniqueViolation } from "@shop/platform/postgres-errors";
import { openServiceDatabase } from "@shop/platform/service-database";
import { and, asc, desc, eq, lt, ne, or } from "drizzle-orm";
import type { Sql } from "postgres";
import { cartVersionConflict, createWithOneRetry } from "./create-outcome.js";
import type {
  CreateResult,
  MoneyValue,
  NewOrder,
  OrderChange,
  OrderRecord,
  OrderStore,
  ShippingAddress,
} from "./order-store.js";
import { cartClaimIndex, type OrderRow, orders, type StoredLine } from "./postgres-schema.js";

const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

function toRecord(row: OrderRow): OrderRecord {
  const total: MoneyValue = { currencyCode: row.currencyCode, units: row.totalUnits, nanos: row.totalNanos };
  return {
    id: row.id,
    userId: row.userId,
    idempotencyKey: row.idempotencyKey,
    status: row.status,
    statusReason: row.statusReason,
    items: row.items.map((line) => ({
      productId: line.productId,
      name: line.name,
      quantity: line.quantity,
      unitPrice: { ...line.unitPrice, units: BigInt(line.unitPrice.units) },
    })),
    total,
    shippingAddress: row.shippingAddress as unknown as ShippingAddress,
    paymentId: row.paymentId,
    saga: {
      step: row.sagaStep,
      attempts: row.sagaAttempts,
      cardToken: row.cardToken,
      failureReason: row.failureReason,
      leaseOwner: row.leaseOwner,
      leaseExpiresAt: row.leaseExpiresAt,
    },
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function storedLines(order: NewOrder): StoredLine[] {
  return order.items.map((line) => ({
    productId: line.productId,
    name: line.name,
    quantity: line.quantity,
    unitPrice: { ...line.unitPrice, units: line.unitPrice.units.toString() },
  }));
}

function changeColumns(change: OrderChange): Partial<typeof orders.$inferInsert> {
  const { saga } = change;
  return {
    ...(change.status === undefined ? {} : { status: change.status }),
    ...(change.statusReason === undefined ? {} : { statusReason: change.statusReason }),
    ...(change.paymentId === undefined ? {} : { paymentId: change.paymentId }),
    ...(saga?.step === undefined ? {} : { sagaStep: saga.step }),
    ...(saga?.attempts === undefined ? {} : { sagaAttempts: saga.attempts }),
    ...(saga?.cardToken === undefined ? {} : { cardToken: saga.cardToken }),
    ...(saga?.failureReason === undefined ? {} : { failureReason: saga.failureReason }),
    ...(saga?.leaseOwner === undefined ? {} : { leaseOwner: saga.leaseOwner }),
    ...(saga?.leaseExpiresAt === undefined ? {} : { leaseExpiresAt: saga.leaseExpiresAt }),
    // A cancelled order lets go of its cart version (see `OrderStore.create`).
    ...(change.status === "CANCELLED" ? { cartClaim: null } : {}),
  };
}

/**
 * The `orders` row for a new order. Exported so the B6 benchmark writes exactly the row the store
 * writes when it compares an order write with and without its outbox row.
 */
export function toOrderRow(order: NewOrder) {
  return {
    id: order.id,
    userId: order.userId,
    idempotencyKey: order.idempotencyKey,
    status: order.status,
    statusReason: order.statusReason,
    items: storedLines(order),
    currencyCode: order.total.currencyCode,
    totalUnits: order.total.units,
    totalNanos: order.total.nanos,
    shippingAddress: { ...order.shippingAddress },
    paymentId: order.paymentId,
    sagaStep: order.saga.step,
    sagaAttempts: order.saga.attempts,
    cardToken: order.saga.cardToken,
    failureReason: order.saga.failureReason,
    leaseOwner: order.saga.leaseOwner,
    leaseExpiresAt: order.saga.leaseExpiresAt,
    version: 1,
    cartClaim: order.cartVersion === "" ? null : order.cartVersion,
    createdAt: order.createdAt,
    updatedAt: order.createdAt,
  };
}

/** Rolls back a create whose idempotency key already exists (and the outbox row sent with it). */
const idempotentReplay = new Error("an order with this idempotency key already exists");

export interface PostgresOrderStoreOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Pool size; the saga worker and the handlers share it. */
  readonly max?: number;
}

/**
 * The OrderStore over Postgres (drizzle), used when no MongoDB is configured. Applies its committed
 * migrations and the platform's event tables first, so the outbox lives in the same database and
 * every event commits with its order change.
 */
export async function createPostgresOrderStore(
  options: PostgresOrderStoreOptions,
): Promise<OrderStore & { readonly sql: Sql }> {
  const pg = await openServiceDatabase({
    url: options.url,
    logger: options.logger,
    migrationsFolder,
    max: options.max ?? 10,
  });
  const { db } = pg;

  async function get(id: string): Promise<OrderRecord | undefined> {
    const [row] = await db.select().from(orders).where(eq(orders.id, id));
    return row && toRecord(row);
  }

  async function getByIdempotencyKey(userId: string, idempotencyKey: string) {
    const [row] = await db
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, idempotencyKey)));
    return row && toRecord(row);
  }

  /** One attempt of `create`; undefined when the cart version's holder was cancelled meanwhile. */
  async function createOnce(order: NewOrder, event: ShopEvent): Promise<CreateResult | undefined> {
    let inserted: OrderRecord | undefined;
    try {
      inserted = await db.transaction(async (tx) => {
        // Both inserts are sent at once (postgres.js pipelines them on the transaction's
        // connection), so the outbox row costs no extra round trip on the checkout's hot path.
        const [rows] = await Promise.all([
          tx
            .insert(orders)
            .values(toOrderRow(order))
            .onConflictDoNothing({ target: [orders.userId, orders.idempotencyKey] })
            .returning(),
          writeOutbox(tx, event),
        ]);
        const row = rows[0];
        if (!row) throw idempotentReplay;
        return toRecord(row);
      });
    } catch (error) {
      if (isUniqueViolation(error, cartClaimIndex)) {
        const [holder] = await db
          .select()
          .from(orders)
          .where(and(eq(orders.userId, order.userId), eq(orders.cartClaim, order.cartVersion)));
        if (!holder) return undefined;
        return cartVersionConflict(toRecord(holder), order);
      }
      if (error !== idempotentReplay) throw error;
    }
    if (inserted) return { order: inserted, created: true };
    const existing = await getByIdempotencyKey(order.userId, order.idempotencyKey);
    if (!existing) throw new Error("order vanished after an idempotency-key conflict");
    return { order: existing, created: false, conflict: "idempotency-key" };
  }

  return {
    async create(order, event) {
      return createWithOneRetry(() => createOnce(order, event));
    },

    get,

    getByIdempotencyKey,

    async listByUser(userId, { limit, after }) {
      const position = after
        ? or(
            lt(orders.createdAt, after.createdAt),
            and(eq(orders.createdAt, after.createdAt), lt(orders.id, after.id)),
          )
        : undefined;
      const rows = await db
        .select()
        .from(orders)
        .where(position ? and(eq(orders.userId, userId), position) : eq(orders.userId, userId))
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(limit);
      return rows.map(toRecord);
    },

    async update(id, expectedVersion, change, event) {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .update(orders)
          .set({ ...changeColumns(change), version: expectedVersion + 1, updatedAt: new Date() })
          .where(and(eq(orders.id, id), eq(orders.version, expectedVersion)))
          .returning();
        if (!row) return undefined;
        if (event) await writeOutbox(tx, event);
        return toRecord(row);
      });
    },

    async findResumable(now, limit) {
      const rows = await db
        .select()
        .from(orders)
        .where(and(ne(orders.sagaStep, "DONE"), lt(orders.leaseExpiresAt, now)))
        .orderBy(asc(orders.leaseExpiresAt))
        .limit(limit);
      return rows.map(toRecord);
    },

    close: () => pg.close(),
    /** The pool, for the outbox relay that reads this database's outbox. */
    sql: pg.sql,
  };
}
