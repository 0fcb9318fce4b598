import { migrateEventTables } from "./events/event-migrations.js";
import type { Logger } from "./log.js";
import { createPostgres, migrate, type Postgres } from "./postgres.js";

export interface ServiceDatabaseOptions<TSchema extends Record<string, unknown>> {
  readonly url: string;
  readonly logger: Logger;
  /** The service's committed drizzle-kit migrations. */
  readonly migrationsFolder: string;
  /** drizzle table definitions, for `db.query.<table>`. */
  readonly schema?: TSchema;
  /** Pool size; see {@link createPostgres}. */
  readonly max?: number;
}

/**
 * Opens a Postgres service's own database ready for use: the pool, the service's migrations, then
 * the platform's event tables (outbox, processed_events). Closes the pool itself when a migration
 * fails, so the caller only has to close what it got back.
 *
 * Why one helper: every Postgres service must apply both migration sets before serving, in the same
 * way, or its handlers and relay would meet missing tables.
 */
export async function openServiceDatabase<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: ServiceDatabaseOptions<TSchema>,
): Promise<Postgres<TSchema>> {
  const pg = createPostgres<TSchema>({
    url: options.url,
    logger: options.logger,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.max === undefined ? {} : { max: options.max }),
  });
  try {
    await migrate(pg.db, options.migrationsFolder);
    await migrateEventTables(pg.db);
    return pg;
  } catch (error) {
    await pg.close();
    throw error;
  }
}
