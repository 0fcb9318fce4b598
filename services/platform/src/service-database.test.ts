import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import postgres from "postgres";
import { createLogger } from "./log.js";
import { openServiceDatabase } from "./service-database.js";
import { createTestDatabase, type TestDatabase } from "./testing/database.js";
import { writeTestMigrations } from "./testing/migrations.js";

const logger = createLogger({ service: "service-database-test", level: "silent" });

describe("openServiceDatabase", () => {
  let database: TestDatabase;
  let folder: string;

  before(async () => {
    database = await createTestDatabase({ prefix: "platform_svcdb" });
    folder = await mkdtemp(join(tmpdir(), "svcdb-"));
  });
  after(async () => {
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  /** Connections other than the asking one to the test database: what a leaked pool would hold. */
  async function otherConnections(url: string): Promise<number> {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()`;
      return row?.n ?? -1;
    } finally {
      await sql.end({ timeout: 5 });
    }
  }

  test("hands back a pool with the service's tables and the platform's event tables", async () => {
    const migrations = join(folder, "ok");
    await writeTestMigrations(migrations, [
      { tag: "0000_widgets", sql: "CREATE TABLE widgets (id text PRIMARY KEY);" },
    ]);
    const pg = await openServiceDatabase({ url: database.url, logger, migrationsFolder: migrations });
    try {
      const tables = await pg.sql<{ table_name: string }[]>`
        select table_name from information_schema.tables
        where table_schema = 'public' and table_name in ('widgets', 'outbox', 'processed_events')
        order by table_name`;
      assert.deepEqual(
        tables.map((row) => row.table_name),
        ["outbox", "processed_events", "widgets"],
      );
    } finally {
      await pg.close();
    }
  });

  test("a failing migration rejects and leaves no connection open", async () => {
    // A database of its own: drizzle skips migrations older than the newest one already applied.
    const fresh = await createTestDatabase({ prefix: "platform_svcdb_broken" });
    try {
      const migrations = join(folder, "broken");
      await writeTestMigrations(migrations, [{ tag: "0000_broken", sql: "CREATE TABLE (;" }]);
      await assert.rejects(openServiceDatabase({ url: fresh.url, logger, migrationsFolder: migrations }));
      assert.equal(await otherConnections(fresh.url), 0);
    } finally {
      await fresh.drop();
    }
  });
});
