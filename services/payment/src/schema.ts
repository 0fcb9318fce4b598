import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

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
    currencyCode: text("currency_code").notNull(),
    units: bigint("units", { mode: "bigint" }).notNull(),
    nanos: integer("nanos").notNull(),
    status: paymentStatus("status").notNull(),
    declineReason: text("decline_reason").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index("payments_user_id_idx").on(table.userId),
    check("payments_currency_code_check", sql`${table.currencyCode} ~ '^[A-Z]{3}$'`),
    check("payments_nanos_check", sql`${table.nanos} between -999999999 and 999999999`),
  ],
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
