import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";
import type { Logger } from "./log.js";

export interface PostgresOptions<TSchema extends Record<string, unknown>> {
  url: string;
  logger: Logger;
  /** Pool size. Defaults to 10; keep it at 2 or more so migrations can hold their lock. */
  max?: number;
  /** drizzle table definitions, to enable `db.query.<table>` relational queries. */
  schema?: TSchema;
}

/** A service's database: the raw postgres.js pool, the drizzle facade over it, and a way to close both. */
export interface Postgres<TSchema extends Record<string, unknown> = Record<string, never>> {
  readonly sql: Sql;
  readonly db: PostgresJsDatabase<TSchema> & { $client: Sql };
  /** Waits up to five seconds for running queries, then closes every connection. */
  close(): Promise<void>;
}

/**
 * Opens the connection pool of a service that owns a Postgres database (database per service).
 *
 * Why a factory: every service wants the same things from the driver — server notices routed to the
 * logger instead of `console.log`, a bounded pool, and a `close` that shutdown can await — and drizzle
 * for typed queries with the raw `sql` still at hand for what drizzle does not express.
 * Connections open lazily: creating the pool does not touch the network.
 */
export function createPostgres<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: PostgresOptions<TSchema>,
): Postgres<TSchema> {
  const { logger } = options;
  const sql = postgres(options.url, {
    max: options.max ?? 10,
    onnotice: (notice) =>
      logger.debug({ notice: notice.message, severity: notice.severity }, "postgres notice"),
  });
  const client = preparingStatements(sql);
  const db = options.schema ? drizzle(client, { schema: options.schema }) : drizzle(client);
  return {
    sql,
    db: db as PostgresJsDatabase<TSchema> & { $client: Sql },
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * The pool as drizzle should see it: every query with parameters runs as a prepared statement, in
 * transactions and savepoints too.
 *
 * Why: drizzle asks postgres.js for an unprepared query unless the query was given a name with
 * `.prepare()`, and an unprepared query with parameters costs two round trips (postgres.js first
 * asks Postgres for the parameter types) and a parse and plan every time. Prepared, postgres.js
 * keeps each statement per connection by its text, so from the second call on it is one round trip.
 * Queries without parameters (migrations, DDL) are left alone: they use the simple protocol, which
 * allows several statements in one string.
 */
function preparingStatements(pool: Sql): Sql {
  return new Proxy(pool, {
    get(target, property, receiver) {
      switch (property) {
        case "unsafe":
          return (query: string, parameters?: unknown[], queryOptions?: Record<string, unknown>) =>
            target.unsafe(
              query,
              parameters as never,
              parameters && parameters.length > 0
                ? { ...queryOptions, prepare: true }
                : (queryOptions as never),
            );
        case "begin":
        case "savepoint": {
          const open = Reflect.get(target, property, receiver) as (...args: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) => {
            const body = args.pop() as (transaction: Sql) => unknown;
            return open.call(target, ...args, (transaction: Sql) => body(preparingStatements(transaction)));
          };
        }
        default:
          return Reflect.get(target, property, receiver);
      }
    },
  });
}

/** Any value makes a fine lock id as long as every replica of a service uses the same one. */
const migrationLockId = 7_319_004_261;

/**
 * Applies the committed SQL migrations in `migrationsFolder` (drizzle-kit's output: `NNNN_name.sql`
 * plus `meta/_journal.json`) that the database has not seen yet. Each service keeps its own folder,
 * because each service owns its schema.
 *
 * Why a wrapper: replicas starting together would race to apply the same migration, so it holds a
 * Postgres advisory lock for the duration (on a reserved connection of the pool; with a pool of one
 * connection it runs unlocked rather than deadlock on itself).
 */
export async function migrate<TSchema extends Record<string, unknown>>(
  db: PostgresJsDatabase<TSchema> & { $client: Sql },
  migrationsFolder: string,
): Promise<void> {
  const pool = db.$client;
  if ((pool.options.max ?? 1) < 2) {
    await drizzleMigrate(db, { migrationsFolder });
    return;
  }
  const lock = await pool.reserve();
  try {
    await lock`select pg_advisory_lock(${migrationLockId})`;
    try {
      await drizzleMigrate(db, { migrationsFolder });
    } finally {
      await lock`select pg_advisory_unlock(${migrationLockId})`;
    }
  } finally {
    lock.release();
  }
}
