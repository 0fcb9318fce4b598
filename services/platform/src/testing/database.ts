import postgres from "postgres";
import { uniqueName } from "./names.js";

export interface TestDatabase {
  /** Connection URL of the new, empty database. */
  readonly url: string;
  readonly name: string;
  /** Drops the database, disconnecting anyone still connected. Safe to call twice. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** A URL with the right to create databases; its database name is only used to connect. */
  adminUrl?: string;
  /** Readable part of the database name, e.g. the service under test. */
  prefix?: string;
}

/**
 * Creates a fresh, uniquely named Postgres database for one test file and returns its URL.
 *
 * Why: every run must isolate itself (ARCHITECTURE §8) — tests running in parallel, or a previous run
 * that crashed half-way, must never see each other's rows. A database per test file is the cheapest
 * isolation that still exercises real migrations and real SQL.
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const adminUrl =
    options.adminUrl ?? process.env.TEST_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = uniqueName(options.prefix ?? "test");
  await withAdmin(adminUrl, (sql) => sql`create database ${sql(name)}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin(adminUrl, (sql) => sql`drop database if exists ${sql(name)} with (force)`),
  };
}

async function withAdmin(adminUrl: string, run: (sql: postgres.Sql) => Promise<unknown>): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await run(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
