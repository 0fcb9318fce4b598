import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import type { JWK } from "jose";

/**
 * Accounts. The email is stored normalised to lower case and the CHECK keeps it that way, so the
 * plain unique constraint is a case-insensitive one: two concurrent registrations of "Ann@x" and
 * "ann@x" cannot both commit.
 */
export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull().unique("users_email_key"),
    name: text("name").notNull(),
    /** argon2id PHC string (algorithm, parameters, salt and hash); never the password. */
    passwordHash: text("password_hash").notNull(),
    roles: text("roles").array().notNull().default(sql`'{}'::text[]`),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [check("users_email_lower_check", sql`${table.email} = lower(${table.email})`)],
);

/**
 * Keys that sign access tokens. The newest key without `retired_time` signs; a retired key's public
 * half is still served until every token it signed has expired. The private JWK is stored as text,
 * encrypted when the service has an encryption key configured, and never logged.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text("kid").primaryKey(),
    privateJwk: text("private_jwk").notNull(),
    publicJwk: jsonb("public_jwk").$type<JWK>().notNull(),
    createTime: timestamp("create_time", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    retiredTime: timestamp("retired_time", { withTimezone: true, precision: 3 }),
  },
  (table) => [index("signing_keys_create_time_idx").on(table.createTime)],
);

export type UserRow = typeof users.$inferSelect;
export type SigningKeyRow = typeof signingKeys.$inferSelect;
