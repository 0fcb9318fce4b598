import { fileURLToPath } from "node:url";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { Sql } from "postgres";

/** Where the platform keeps the committed SQL of the `outbox` and `processed_events` tables. */
export const eventMigrationsFolder = fileURLToPath(
  new URL("../../drizzle-outbox/migrations", import.meta.url),
);

/** drizzle's bookkeeping table for these migrations, apart from the service's own `__drizzle_migrations`. */
export const eventMigrationsTable = "__outbox_migrations";

/** Any constant works as long as every replica uses the same; distinct from the service migration lock. */
const eventMigrationLockId = 7_319_004_262;

/**
 * Creates or upgrades the event tables (outbox, processed_events) in a service's own database.
 *
 * Why separate from the service's migrations: the platform owns these tables and evolves them for
 * every service at once; a separate bookkeeping table lets both migration sets be applied to one
 * database in any order. An advisory lock keeps replicas that start together from racing.
 */
export async function migrateEventTables<TSchema extends Record<string, unknown>>(
  db: PostgresJsDatabase<TSchema> & { $client: Sql },
): Promise<void> {
  const config = { migrationsFolder: eventMigrationsFolder, migrationsTable: eventMigrationsTable };
  const pool = db.$client;
  if ((pool.options.max ?? 1) < 2) {
    await migrate(db, config);
    return;
  }
  const lock = await pool.reserve();
  try {
    await lock`select pg_advisory_lock(${eventMigrationLockId})`;
    try {
      await migrate(db, config);
    } finally {
      await lock`select pg_advisory_unlock(${eventMigrationLockId})`;
    }
  } finally {
    lock.release();
  }
}
