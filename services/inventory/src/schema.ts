import { sql } from "drizzle-orm";
import { check, index, integer, pgEnum, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** Lifecycle of a reservation; mirrors shop.inventory.v1.ReservationStatus without UNSPECIFIED. */
export const reservationStatus = pgEnum("reservation_status", ["RESERVED", "COMMITTED", "RELEASED"]);

/**
 * Stock of one product. The CHECK constraints are the last line of defence against overselling:
 * even a buggy query cannot drive either count below zero.
 */
export const stock = pgTable(
  "stock",
  {
    productId: text("product_id").primaryKey(),
    available: integer("available").notNull().default(0),
    reserved: integer("reserved").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    check("stock_available_check", sql`${table.available} >= 0`),
    check("stock_reserved_check", sql`${table.reserved} >= 0`),
  ],
);

/**
 * One reservation per caller-chosen id. The primary key, not a read-then-write check, is what makes
 * ReserveStock idempotent when two identical calls race.
 */
export const reservations = pgTable(
  "reservations",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull(),
    status: reservationStatus("status").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index("reservations_order_id_idx").on(table.orderId)],
);

/** What a reservation holds: one row per product. */
export const reservationItems = pgTable(
  "reservation_items",
  {
    reservationId: text("reservation_id")
      .notNull()
      .references(() => reservations.id, { onDelete: "cascade" }),
    productId: text("product_id").notNull(),
    quantity: integer("quantity").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.reservationId, table.productId] }),
    check("reservation_items_quantity_check", sql`${table.quantity} > 0`),
  ],
);

export type ReservationStatusValue = (typeof reservationStatus.enumValues)[number];
