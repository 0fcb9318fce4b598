import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * A `Money` in three columns, as every table of this service that holds an amount stores it: a fresh
 * set of column builders per table (drizzle binds a builder to the one table it is spread into).
 */
function moneyColumns() {
  return {
    currencyCode: text("currency_code").notNull(),
    units: bigint("units", { mode: "bigint" }).notNull(),
    nanos: integer("nanos").notNull(),
  };
}

/** The checks that keep a stored amount a valid `Money`, named after `table` like Postgres names them. */
function moneyChecks(table: string, columns: { currencyCode: AnyPgColumn; nanos: AnyPgColumn }) {
  return [
    check(`${table}_currency_code_check`, sql`${columns.currencyCode} ~ '^[A-Z]{3}$'`),
    check(`${table}_nanos_check`, sql`${columns.nanos} between -999999999 and 999999999`),
  ];
}

/** Lifecycle of a payment; mirrors shop.payment.v1.PaymentStatus without the UNSPECIFIED value. */
export const paymentStatus = pgEnum("payment_status", ["CAPTURED", "DECLINED", "REFUNDED"]);

/**
 * One payment per order. `order_id` is UNIQUE: that constraint, not a read-then-write check, is what
 * makes Charge idempotent under concurrent duplicates. The card token is deliberately not a column.
 */
export const payments = pgTable(
  "payments",
  {
    id: uuid("id").primaryKey(),
    orderId: uuid("order_id").notNull().unique("payments_order_id_key"),
    userId: text("user_id").notNull(),
    ...moneyColumns(),
    status: paymentStatus("status").notNull(),
    declineReason: text("decline_reason").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index("payments_user_id_idx").on(table.userId), ...moneyChecks("payments", table)],
);

export type PaymentRow = typeof payments.$inferSelect;

/**
 * Orders that a Refund reached before any Charge did. Why: the saga compensates a charge that timed
 * out with a Refund, and a NOT_FOUND answer tells it nothing was taken. A Charge still on its way
 * (slow provider, stalled process) would otherwise land afterwards and capture money for a cancelled
 * order that nobody refunds. A row here makes every later Charge of the order FAILED_PRECONDITION.
 */
export const voidedOrders = pgTable("voided_orders", {
  orderId: uuid("order_id").primaryKey(),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * Money captured at the card provider for an order that was voided while the provider was answering
 * (see `voidedOrders`), which the service must give back; or money that may have been captured, for
 * an order voided with a charge attempt but no payment (see `chargeAttempts`). Why a table: the give-back is a call to
 * the provider that can fail or be cut short by a crash; recorded in the same transaction that finds
 * the order voided, and before the provider is asked, the debt survives both, and a worker retries it
 * (with the order id as the provider's idempotency key) until `done_at` is set. Nobody else would:
 * the saga saw NOT_FOUND and a repeated Charge of the order stops at the void.
 */
export const owedRefunds = pgTable(
  "owed_refunds",
  {
    orderId: uuid("order_id").primaryKey(),
    ...moneyColumns(),
    /** Provider refund calls made so far, successful or not. */
    attempts: integer("attempts").notNull().default(0),
    /** Why the latest failed attempt failed; empty until one fails. */
    lastError: text("last_error").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** When the next attempt is due; pushed back after each failure (capped exponential backoff). */
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /** When the provider gave a final answer; null while the money is still owed. */
    doneAt: timestamp("done_at", { withTimezone: true, precision: 3 }),
    /**
     * True when that final answer was "nothing captured under this key" rather than "refunded": the
     * row came from a charge attempt whose outcome was never recorded (see `chargeAttempts`), and the
     * charge had been declined or had never reached the provider. Final only once the charge could no
     * longer capture (see `chargeStartedAt`); such a row is still reopened if a capture for the order
     * turns up later (recordOwedRefund), as a second line of defence.
     */
    nothingCaptured: boolean("nothing_captured").notNull().default(false),
    /**
     * For a row recorded from a charge attempt (a Refund found the attempt and no payment): when the
     * latest Charge of the order began (`charge_attempts.last_started_at`). Until that charge's
     * deadline and a margin have passed (`CARD_CHARGE_TIMEOUT_MS` + `CHARGE_IN_FLIGHT_MARGIN_MS`) it
     * may still be on its way to the provider and capture later, so a "nothing captured" answer before
     * then is not final: the row stays owed and is asked again after that point. Null for a row
     * recorded from a capture the service saw (a Charge that found its order voided), and for one
     * written by a Refund of a replica still running the code before this column existed (a rolling
     * upgrade): such a row is judged from its `createdAt`, later than any start of its charge (for a
     * known capture that costs nothing: the provider answers "refunded").
     */
    chargeStartedAt: timestamp("charge_started_at", { withTimezone: true, precision: 3 }),
  },
  (table) => [
    // What the retry worker scans: only the rows still owed, by due time.
    index("owed_refunds_due_idx").on(table.nextAttemptAt).where(sql`${table.doneAt} is null`),
    ...moneyChecks("owed_refunds", table),
  ],
);

export type OwedRefundRow = typeof owedRefunds.$inferSelect;

/**
 * A Charge that is about to ask the card provider: written (under the order's lock, refused when the
 * order is voided) before the provider is called, and deleted in the transaction that records the
 * charge's outcome (a payment, or an owed refund). Why: if the process dies after the provider approved
 * but before anything was recorded, the money is captured under the order id and no payment says so.
 * A Refund that then finds no payment but finds this row cannot know whether money was taken, so it
 * records an owed refund for `amount` (and the charge's start) in the same transaction that voids the
 * order; the provider answers the give-back with "refunded" or "nothing captured", the latter final
 * only once the charge can no longer capture. So the rows here are exactly the charges whose outcome
 * is not known yet (in flight, or lost to a crash). Idempotent by order id: a repeated Charge keeps
 * the first row's amount, which the provider's idempotency key holds it to, and moves its start.
 */
export const chargeAttempts = pgTable(
  "charge_attempts",
  {
    orderId: uuid("order_id").primaryKey(),
    ...moneyColumns(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /**
     * When the latest Charge of the order began, just before it asked the provider: a repeated Charge
     * moves it (while the first keeps the amount). A Refund carries it onto the owed refund, where it
     * says until when the charge may still capture (see `owedRefunds.chargeStartedAt`).
     */
    lastStartedAt: timestamp("last_started_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [...moneyChecks("charge_attempts", table)],
);

export type ChargeAttemptRow = typeof chargeAttempts.$inferSelect;
