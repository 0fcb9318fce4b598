import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sql as dsql } from "drizzle-orm";
import { createLogger } from "./log.js";
import { createPostgres, migrate, type Postgres } from "./postgres.js";
import { createTestDatabase, type TestDatabase } from "./testing/database.js";
import { writeTestMigrations as writeMigrations } from "./testing/migrations.js";

describe("createPostgres and migrate", () => {
  const logger = createLogger({ service: "test", level: "silent" });
  let database: TestDatabase;
  let folder: string;
  let pg: Postgres;

  before(async () => {
    database = await createTestDatabase({ prefix: "platform_pg" });
    folder = await mkdtemp(join(tmpdir(), "migrations-"));
    pg = createPostgres({ url: database.url, logger });
  });
  after(async () => {
    await pg.close();
    await database.drop();
    await rm(folder, { recursive: true, force: true });
  });

  it("applies committed migrations once, even when replicas migrate concurrently", async () => {
    await writeMigrations(folder, [
      { tag: "0000_products", sql: "CREATE TABLE products (id text PRIMARY KEY, name text NOT NULL);" },
      {
        tag: "0001_seed",
        sql: "INSERT INTO products VALUES ('p1', 'Mug');\n--> statement-breakpoint\nINSERT INTO products VALUES ('p2', 'Tee');",
      },
    ]);
    const replica = createPostgres({ url: database.url, logger, max: 2 });
    try {
      await Promise.all([migrate(pg.db, folder), migrate(replica.db, folder)]);
    } finally {
      await replica.close();
    }
    await migrate(pg.db, folder);
    const rows = await pg.sql<{ id: string }[]>`select id from products order by id`;
    assert.deepEqual(
      rows.map((row) => row.id),
      ["p1", "p2"],
    );
    const applied = await pg.db.execute(dsql`select count(*)::int as n from drizzle.__drizzle_migrations`);
    assert.equal((applied[0] as { n: number }).n, 2);
  });

  it("applies a migration added later", async () => {
    await writeMigrations(folder, [
      { tag: "0000_products", sql: "CREATE TABLE products (id text PRIMARY KEY, name text NOT NULL);" },
      {
        tag: "0001_seed",
        sql: "INSERT INTO products VALUES ('p1', 'Mug');\n--> statement-breakpoint\nINSERT INTO products VALUES ('p2', 'Tee');",
      },
      { tag: "0002_price", sql: "ALTER TABLE products ADD COLUMN price_units bigint NOT NULL DEFAULT 0;" },
    ]);
    await migrate(pg.db, folder);
    const [row] = await pg.sql<{ price_units: string }[]>`select price_units from products where id = 'p1'`;
    assert.equal(row?.price_units, "0");
  });

  it("runs drizzle's queries with parameters as prepared statements, in transactions too", async () => {
    // One connection, so the session whose prepared statements are listed is the one that ran them.
    const single = createPostgres({ url: database.url, logger, max: 1 });
    try {
      await single.db.execute(dsql`select ${"outside"}::text as marker`);
      await single.db.transaction(async (tx) => {
        await tx.execute(dsql`select ${"inside"}::text as inside_marker`);
      });
      // The pattern is a parameter, so this query's own text does not match it.
      const rows = await single.sql<{ statement: string }[]>`
        select statement from pg_prepared_statements where statement like ${"%marker%"}`;
      assert.equal(rows.length, 2, JSON.stringify(rows));
    } finally {
      await single.close();
    }
  });
});
