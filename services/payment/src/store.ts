import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { type Payment, PaymentSchema, PaymentStatus } from "@shop/gen/shop/payment/v1/payment_pb";
import type { ShopEvent } from "@shop/platform/events/event-codec";
import { and, eq } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type PaymentRow, payments } from "./schema.js";

/** The drizzle database of the payment service. */
export type PaymentDb = PostgresJsDatabase<Record<string, unknown>>;
/** A transaction on it: the unit in which a payment change and its outbox event commit together. */
export type PaymentTx = Parameters<Parameters<PaymentDb["transaction"]>[0]>[0];

/** Writes an event into the transactional outbox inside the caller's transaction. */
export type OutboxWriter = (tx: PaymentTx, event: ShopEvent) => Promise<unknown>;

export interface NewPayment {
  readonly orderId: string;
  readonly userId: string;
  readonly amount: Payment["amount"] & object;
  readonly status: PaymentStatus.CAPTURED | PaymentStatus.DECLINED;
  readonly declineReason: string;
}

export interface PaymentStore {
  /** The payment of an order, if any. */
  findByOrder(orderId: string): Promise<Payment | undefined>;
  /**
   * Records the outcome of a charge unless the order already has a payment, in which case the existing
   * one is returned with `created: false`. The UNIQUE(order_id) constraint decides the winner of
   * concurrent duplicates; only the winner's event reaches the outbox.
   */
  insertOnce(
    payment: NewPayment,
    eventFor: (payment: Payment) => ShopEvent,
  ): Promise<{ payment: Payment; created: boolean }>;
  /**
   * Refunds the order's payment if it is CAPTURED: the row is locked, `giveBack` runs (the provider
   * call), then the status and the event commit together. Other statuses come back unchanged;
   * undefined when the order has no payment.
   */
  refund(
    orderId: string,
    giveBack: (payment: Payment) => Promise<void>,
    eventFor: (payment: Payment) => ShopEvent,
  ): Promise<Payment | undefined>;
  /** A payment by id, only when it belongs to `userId` (so ids of others cannot be probed). */
  getForUser(id: string, userId: string): Promise<Payment | undefined>;
}

const statusToProto = {
  CAPTURED: PaymentStatus.CAPTURED,
  DECLINED: PaymentStatus.DECLINED,
  REFUNDED: PaymentStatus.REFUNDED,
} as const satisfies Record<PaymentRow["status"], PaymentStatus>;

function toProto(row: PaymentRow): Payment {
  return create(PaymentSchema, {
    id: row.id,
    orderId: row.orderId,
    userId: row.userId,
    amount: create(MoneySchema, { currencyCode: row.currencyCode, units: row.units, nanos: row.nanos }),
    status: statusToProto[row.status],
    declineReason: row.declineReason,
    createTime: timestampFromDate(row.createdAt),
    updateTime: timestampFromDate(row.updatedAt),
  });
}

/**
 * Data access of the payment service over Postgres (drizzle). Why a store: the handlers speak in
 * proto Payments and business outcomes, and every write that publishes an event does so in the same
 * transaction as the row change (transactional outbox, ARCHITECTURE §5).
 */
export function createPaymentStore(db: PaymentDb, outbox: OutboxWriter): PaymentStore {
  async function findByOrder(orderId: string): Promise<Payment | undefined> {
    const [row] = await db.select().from(payments).where(eq(payments.orderId, orderId));
    return row && toProto(row);
  }

  return {
    findByOrder,

    async insertOnce(payment, eventFor) {
      const inserted = await db.transaction(async (tx) => {
        const now = new Date();
        const [row] = await tx
          .insert(payments)
          .values({
            id: randomUUID(),
            orderId: payment.orderId,
            userId: payment.userId,
            currencyCode: payment.amount.currencyCode,
            units: payment.amount.units,
            nanos: payment.amount.nanos,
            status: payment.status === PaymentStatus.CAPTURED ? "CAPTURED" : "DECLINED",
            declineReason: payment.declineReason,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing({ target: payments.orderId })
          .returning();
        if (!row) return undefined;
        const created = toProto(row);
        await outbox(tx, eventFor(created));
        return created;
      });
      if (inserted) return { payment: inserted, created: true };
      // Lost the race (or a repeat): the winner has committed, so a fresh statement sees its row.
      const existing = await findByOrder(payment.orderId);
      if (!existing) throw new Error(`payment of order ${payment.orderId} vanished after a conflict`);
      return { payment: existing, created: false };
    },

    async refund(orderId, giveBack, eventFor) {
      return db.transaction(async (tx) => {
        const [row] = await tx.select().from(payments).where(eq(payments.orderId, orderId)).for("update");
        if (!row) return undefined;
        if (row.status !== "CAPTURED") return toProto(row);
        await giveBack(toProto(row));
        const [updated] = await tx
          .update(payments)
          .set({ status: "REFUNDED", updatedAt: new Date() })
          .where(eq(payments.id, row.id))
          .returning();
        if (!updated) throw new Error(`payment ${row.id} vanished while locked`);
        const refunded = toProto(updated);
        await outbox(tx, eventFor(refunded));
        return refunded;
      });
    },

    async getForUser(id, userId) {
      const [row] = await db
        .select()
        .from(payments)
        .where(and(eq(payments.id, id), eq(payments.userId, userId)));
      return row && toProto(row);
    },
  };
}
