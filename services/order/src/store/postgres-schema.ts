import { sql } from "drizzle-orm";
import {
  bigint,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const orderStatus = pgEnum("order_status", ["PENDING", "CONFIRMED", "CANCELLED"]);
export const sagaStep = pgEnum("saga_step", ["RESERVING", "CHARGING", "COMMITTING", "COMPENSATING", "DONE"]);

/** An order line in JSON: int64 units as a decimal string, since JSON numbers lose precision. */
export interface StoredLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: { currencyCode: string; units: string; nanos: number };
}

/** The unique index that lets one order, not cancelled, hold a user's cart version. */
export const cartClaimIndex = "orders_user_cart_claim";

/** Orders with their saga state (Postgres adapter of the OrderStore). */
export const orders = pgTable(
  "orders",
  {
    id: uuid("id").primaryKey(),
    userId: text("user_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    status: orderStatus("status").notNull(),
    statusReason: text("status_reason").notNull().default(""),
    items: jsonb("items").$type<StoredLine[]>().notNull(),
    currencyCode: text("currency_code").notNull(),
    totalUnits: bigint("total_units", { mode: "bigint" }).notNull(),
    totalNanos: integer("total_nanos").notNull(),
    shippingAddress: jsonb("shipping_address").$type<Record<string, string>>().notNull(),
    paymentId: text("payment_id").notNull().default(""),
    sagaStep: sagaStep("saga_step").notNull(),
    sagaAttempts: integer("saga_attempts").notNull().default(0),
    cardToken: text("card_token").notNull().default(""),
    failureReason: text("failure_reason").notNull().default(""),
    leaseOwner: text("lease_owner").notNull().default(""),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, precision: 3 }).notNull(),
    version: integer("version").notNull().default(1),
    /** The cart version the order holds until it is cancelled (then NULL); see `NewOrder.cartVersion`. */
    cartClaim: text("cart_claim"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [
    unique("orders_user_idempotency_key").on(table.userId, table.idempotencyKey),
    // NULLs never collide, so cancelled orders (cart_claim NULL) do not hold their cart version.
    uniqueIndex(cartClaimIndex).on(table.userId, table.cartClaim),
    index("orders_user_newest_idx").on(table.userId, table.createdAt.desc(), table.id.desc()),
    index("orders_resumable_idx").on(table.leaseExpiresAt).where(sql`${table.sagaStep} <> 'DONE'`),
  ],
);

export type OrderRow = typeof orders.$inferSelect;
