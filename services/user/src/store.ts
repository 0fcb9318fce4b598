import { isUniqueViolation } from "@shop/platform/postgres-errors";
import { isUuid } from "@shop/platform/uuid";
import { eq, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type UserRow, users } from "./schema.js";

/** The transaction a new account is written in, for writes that must commit with it (the outbox). */
export type UserTransaction = Parameters<Parameters<PostgresJsDatabase["transaction"]>[0]>[0];

export interface NewUser {
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly roles?: readonly string[];
}

/** Thrown by {@link UserStore.createUser} when the email is registered already. */
export class EmailTakenError extends Error {
  override readonly name = "EmailTakenError";
  constructor() {
    super("email already registered");
  }
}

/** Data access of the user service: accounts only (signing keys live in signing-keys.ts). */
export interface UserStore {
  /**
   * Inserts an account and runs `alsoInTransaction` in the same transaction. Throws
   * {@link EmailTakenError} when the email exists, including when a concurrent registration wins.
   */
  createUser(
    user: NewUser,
    alsoInTransaction?: (tx: UserTransaction, created: UserRow) => Promise<void>,
  ): Promise<UserRow>;
  findByEmail(email: string): Promise<UserRow | undefined>;
  findById(id: string): Promise<UserRow | undefined>;
  /** Creates the account with the role, or adds the role to an existing account; password unchanged then. */
  grantRoleOrCreate(user: NewUser, role: string): Promise<UserRow>;
}

/**
 * The accounts table behind a small interface.
 *
 * Why the unique constraint decides duplicates: a "does this email exist?" check before the insert
 * races with a concurrent registration of the same address; the database's unique index does not.
 */
export function createUserStore<TSchema extends Record<string, unknown>>(
  db: PostgresJsDatabase<TSchema>,
): UserStore {
  return {
    async createUser(user, alsoInTransaction) {
      try {
        return await db.transaction(async (tx) => {
          const [created] = await tx
            .insert(users)
            .values({
              email: user.email,
              name: user.name,
              passwordHash: user.passwordHash,
              roles: [...(user.roles ?? [])],
            })
            .returning();
          if (!created) throw new Error("insert returned no row");
          await alsoInTransaction?.(tx as unknown as UserTransaction, created);
          return created;
        });
      } catch (error) {
        if (isUniqueViolation(error, "users_email_key")) throw new EmailTakenError();
        throw error;
      }
    },

    async findByEmail(email) {
      const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
      return row;
    },

    async findById(id) {
      // Ids come from verified tokens, but a token of another issuer's format must not become a SQL error.
      if (!isUuid(id)) return undefined;
      const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return row;
    },

    async grantRoleOrCreate(user, role) {
      const roles = [...new Set([...(user.roles ?? []), role])];
      const [row] = await db
        .insert(users)
        .values({ email: user.email, name: user.name, passwordHash: user.passwordHash, roles })
        .onConflictDoUpdate({
          target: users.email,
          set: {
            roles: sql`case when ${role} = any(${users.roles}) then ${users.roles} else array_append(${users.roles}, ${role}::text) end`,
          },
        })
        .returning();
      if (!row) throw new Error("upsert returned no row");
      return row;
    },
  };
}
