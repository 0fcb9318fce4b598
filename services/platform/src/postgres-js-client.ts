import type { Sql } from "postgres";

/**
 * The postgres.js connection behind a drizzle postgres-js database or transaction, or undefined when
 * `db` is something else (another driver, a test double).
 *
 * Why: drizzle sends every query it builds as an unnamed, unprepared statement, after building its
 * SQL text in JavaScript; for a statement that runs on every write path (the outbox insert) that
 * costs more than the statement itself (measured by bench B6). A postgres.js tagged template on the
 * same connection is prepared once per connection and stays inside the caller's transaction.
 * drizzle keeps the connection on `session.client`; should a drizzle upgrade move it, this returns
 * undefined and callers fall back to the query builder rather than break.
 */
export function postgresJsClientOf(db: unknown): Sql | undefined {
  const client = (db as { session?: { client?: unknown } } | undefined)?.session?.client;
  if (typeof client !== "function") return undefined;
  return typeof (client as Partial<Sql>).unsafe === "function" ? (client as Sql) : undefined;
}
