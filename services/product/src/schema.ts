import { sql } from "drizzle-orm";
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";

/**
 * The catalog. Prices are stored as the Money message is (currency, units, nanos), never as a float.
 *
 * Timestamps keep millisecond precision on purpose: the listing's keyset position (create_time, id)
 * travels in page tokens through JavaScript `Date`, which holds milliseconds, so a coarser or finer
 * column would make a position read back from a token differ from the stored one.
 */
export const products = pgTable(
  "products",
  {
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    currencyCode: text("currency_code").notNull(),
    units: bigint("units", { mode: "bigint" }).notNull(),
    nanos: integer("nanos").notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updateTime: timestamp("update_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    // The listing order and its keyset paging: `where (create_time, id) > ($1, $2) order by create_time, id`.
    index("products_create_time_id_idx").on(table.createTime, table.id),
    check("products_currency_code_check", sql`${table.currencyCode} ~ '^[A-Z]{3}$'`),
    check("products_price_non_negative_check", sql`${table.units} >= 0 and ${table.nanos} >= 0`),
    check("products_nanos_range_check", sql`${table.nanos} <= 999999999`),
  ],
);

export type ProductRow = typeof products.$inferSelect;

/**
 * One row per CreateProduct that carried an `idempotency_key`: the caller (the admin's user id),
 * the key, a digest of the product it asked for, and the product it created. The primary key on
 * (caller, key) is what makes concurrent repeats create one product: the row is inserted in the
 * product's transaction, and a second insert of the same key waits for the first to commit and then
 * finds it taken. Kept as long as the product (the catalog deletes nothing).
 */
export const creationKeys = pgTable(
  "product_creation_keys",
  {
    callerId: text("caller_id").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 (hex) of the validated product the first request asked for; see creation-digest.ts. */
    requestDigest: text("request_digest").notNull(),
    productId: uuid("product_id")
      .notNull()
      .references(() => products.id),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ name: "product_creation_keys_pkey", columns: [table.callerId, table.idempotencyKey] }),
  ],
);

export type CreationKeyRow = typeof creationKeys.$inferSelect;
