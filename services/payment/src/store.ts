import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { type Payment, PaymentSchema, PaymentStatus } from "@shop/gen/shop/payment/v1/payment_pb";
import type { ShopEvent } from "@shop/platform/events/event-codec";
import { and, eq, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { recordOwedRefund } from "./owed-refund-store.js";
import { chargeAttempts, type PaymentRow, payments, voidedOrders } from "./schema.js";

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

/**
 * What recording a charge came to: the order's payment, or nothing because the order was voided. A
 * voided order whose charge the provider approved has `refundOwed`: an owed refund was recorded in
 * the same transaction (see owed-refund-store.ts), and giving it back is the service's job from then on.
 */
export type InsertOutcome =
  | { readonly kind: "payment"; readonly payment: Payment; readonly created: boolean }
  | { readonly kind: "voided"; readonly refundOwed: boolean };

/**
 * What a Refund came to: the order's payment, or none, in which case the order is now voided. With
 * `refundOwed`, the order had a charge attempt but no payment (the provider may have captured money
 * and the process died before recording it), and an owed refund of the attempt's amount was recorded
 * in the same transaction as the void; the owed-refund worker asks the provider to give it back.
 */
export type RefundResult =
  | { readonly kind: "payment"; readonly payment: Payment }
  | { readonly kind: "no-payment"; readonly refundOwed: boolean };

/**
 * What the step before a charge found: the order's payment (a repeated Charge: nothing recorded, the
 * provider is not asked again), a void (a Refund came first: nothing recorded, the provider must not
 * be asked), or neither, and the charge attempt is now recorded and committed.
 */
export type BeginChargeOutcome =
  | { readonly kind: "paid"; readonly payment: Payment }
  | { readonly kind: "voided" }
  | { readonly kind: "begun" };

export interface PaymentStore {
  /**
   * Records that a Charge of the order is about to ask the provider for `amount` (see
   * `chargeAttempts`), under the order's lock, and commits it before returning, unless the order
   * already has a payment or was voided: see `BeginChargeOutcome`. Idempotent by order id: a repeat
   * keeps the first record's amount and moves its start (`last_started_at`) to its own, never back.
   */
  beginCharge(orderId: string, amount: Payment["amount"] & object): Promise<BeginChargeOutcome>;
  /**
   * Records the outcome of a charge unless the order already has a payment, in which case the existing
   * one is returned with `created: false`, or was voided, in which case no payment is recorded but a
   * CAPTURED charge's amount is recorded as an owed refund. The UNIQUE(order_id) constraint decides
   * the winner of concurrent duplicates; only the winner's event reaches the outbox. The order's
   * charge attempt is deleted in the same transaction: its outcome is recorded now.
   */
  insertOnce(payment: NewPayment, eventFor: (payment: Payment) => ShopEvent): Promise<InsertOutcome>;
  /**
   * Refunds the order's payment if it is CAPTURED: the row is locked, `giveBack` runs (the provider
   * call), then the status and the event commit together. Other statuses come back unchanged. When
   * the order has no payment, the order is voided so that no Charge still on its way can capture
   * money for it afterwards, and if a charge attempt of the order is recorded, an owed refund of its
   * amount is recorded in the same transaction (and the attempt deleted): see `RefundResult`.
   */
  refund(
    orderId: string,
    giveBack: (payment: Payment) => Promise<void>,
    eventFor: (payment: Payment) => ShopEvent,
  ): Promise<RefundResult>;
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
 * Serialises the charge and the refund of one order inside their transactions. Why a lock and not a
 * constraint: the refund must see "no payment" and void the order as one step, while a charge must
 * see "not voided" and insert its payment as one step; under READ COMMITTED two such transactions
 * would each miss the other's uncommitted row. The lock is released when the transaction ends. The
 * Charge's side takes the same lock inside the SQL functions `payment_begin_charge` and
 * `payment_settle_charge_attempt`, and `payment_order_lock_key` defines the key (in drizzle/: the
 * latest version of `payment_begin_charge` is in 0006).
 *
 * Why a statement of its own: under READ COMMITTED a statement reads with the snapshot taken when it
 * starts, so only the statements after the one that waited for the lock see what the previous holder
 * committed.
 */
async function lockOrder(tx: PaymentTx, orderId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(payment_order_lock_key(${orderId}::uuid))`);
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
    async beginCharge(orderId, amount) {
      // One statement, so one round trip and no BEGIN or COMMIT of its own: the function takes the
      // order's lock, then looks for a payment and a void with fresh snapshots, and inserts the
      // attempt, which commits with the statement, before the provider is asked (its latest version is in
      // migration 0006).
      const [row] = await db.execute<{ outcome: "paid" | "voided" | "begun" }>(sql`
        select payment_begin_charge(
          ${orderId}::uuid, ${amount.currencyCode}::text, ${amount.units.toString()}::bigint, ${amount.nanos}::int
        ) as outcome`);
      switch (row?.outcome) {
        case "begun":
          return { kind: "begun" };
        case "voided":
          return { kind: "voided" };
        case "paid": {
          // A repeated Charge (rare): the payment is read in a second statement. Payments are never
          // deleted, so it is still there.
          const payment = await findByOrder(orderId);
          if (!payment) throw new Error(`payment of order ${orderId} vanished`);
          return { kind: "paid", payment };
        }
        default:
          throw new Error(`payment_begin_charge answered ${String(row?.outcome)}`);
      }
    },

    async insertOnce(payment, eventFor) {
      const outcome = await db.transaction(async (tx): Promise<InsertOutcome | undefined> => {
        // One statement takes the order's lock (held to the end of this transaction), deletes the
        // charge attempt and answers whether the order is voided (migration 0004). Either way the
        // charge's outcome is recorded in this transaction, so its attempt is settled. Deleted rather
        // than kept as history: the payment row (or the owed refund) carries the same facts, and
        // `charge_attempts` then holds exactly the charges whose outcome is unknown.
        const [settled] = await tx.execute<{ voided: boolean }>(
          sql`select payment_settle_charge_attempt(${payment.orderId}::uuid) as voided`,
        );
        if (!settled) throw new Error("payment_settle_charge_attempt answered no row");
        if (settled.voided) {
          const captured = payment.status === PaymentStatus.CAPTURED;
          if (captured) await recordOwedRefund(tx, payment.orderId, payment.amount);
          return { kind: "voided", refundOwed: captured };
        }
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
        return { kind: "payment", payment: created, created: true };
      });
      if (outcome) return outcome;
      // Lost the race (or a repeat): the winner has committed, so a fresh statement sees its row.
      const existing = await findByOrder(payment.orderId);
      if (!existing) throw new Error(`payment of order ${payment.orderId} vanished after a conflict`);
      return { kind: "payment", payment: existing, created: false };
    },

    async refund(orderId, giveBack, eventFor) {
      return db.transaction(async (tx) => {
        await lockOrder(tx, orderId);
        const [row] = await tx.select().from(payments).where(eq(payments.orderId, orderId)).for("update");
        if (!row) {
          await tx.insert(voidedOrders).values({ orderId }).onConflictDoNothing();
          // A Charge asked the provider and recorded no outcome: it may still be on its way (its
          // insertOnce will find the void and record what it took), or its process died after the
          // provider approved, or it may yet die after a late approval. The debt is recorded now for
          // the last two; a "nothing captured" answer closes it only once the charge can no longer
          // capture, and a capture recorded before then makes it due at once (recordOwedRefund).
          const [attempt] = await tx
            .delete(chargeAttempts)
            .where(eq(chargeAttempts.orderId, orderId))
            .returning();
          if (!attempt) return { kind: "no-payment", refundOwed: false } as const;
          await recordOwedRefund(
            tx,
            orderId,
            create(MoneySchema, {
              currencyCode: attempt.currencyCode,
              units: attempt.units,
              nanos: attempt.nanos,
            }),
            // That charge may still be on its way: a "nothing captured" is final only once it
            // cannot capture any more (see owedRefunds.chargeStartedAt).
            attempt.lastStartedAt,
          );
          return { kind: "no-payment", refundOwed: true } as const;
        }
        if (row.status !== "CAPTURED") return { kind: "payment", payment: toProto(row) } as const;
        await giveBack(toProto(row));
        const [updated] = await tx
          .update(payments)
          .set({ status: "REFUNDED", updatedAt: new Date() })
          .where(eq(payments.id, row.id))
          .returning();
        if (!updated) throw new Error(`payment ${row.id} vanished while locked`);
        const refunded = toProto(updated);
        await outbox(tx, eventFor(refunded));
        return { kind: "payment", payment: refunded } as const;
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
