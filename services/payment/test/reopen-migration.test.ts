import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createLogger } from "@shop/platform/log";
import { createPostgres, migrate, type Postgres } from "@shop/platform/postgres";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { migrationsFolder } from "../src/service.js";

interface Row {
  order_id: string;
  done: boolean;
  nothing_captured: boolean;
  due: boolean;
  starts_at_creation: boolean | null;
}

/**
 * Migration 0006 reopens the owed refunds that the rule before it (a row without charge_started_at
 * counts as settled) may have closed on a "nothing captured" too early: a database migrated up to 0005
 * gets such rows, then the rest of the migrations.
 */
describe("migration 0006 reopens owed refunds closed as nothing captured in the last 7 days", () => {
  let database: TestDatabase;
  let pg: Postgres;
  let sql: postgres.Sql;
  let upTo0005: string;

  before(async () => {
    database = await createTestDatabase({ prefix: "payment_reopen" });
    pg = createPostgres({ url: database.url, logger: createLogger({ service: "payment", level: "silent" }) });
    sql = postgres(database.url, { max: 1, onnotice: () => {} });
    // The migrations as they were before 0006: the folder with the journal cut after 0005.
    upTo0005 = await mkdtemp(join(tmpdir(), "payment-migrations-"));
    await cp(migrationsFolder, upTo0005, { recursive: true });
    const journalPath = join(upTo0005, "meta", "_journal.json");
    const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { idx: number }[] };
    journal.entries = journal.entries.filter((entry) => entry.idx <= 5);
    await writeFile(journalPath, JSON.stringify(journal));
  });

  after(async () => {
    await sql?.end({ timeout: 5 });
    await pg?.close();
    await database?.drop();
    if (upTo0005) await rm(upTo0005, { recursive: true, force: true });
  });

  test("recent 'nothing captured' rows are owed again, due now, with a start; others are untouched", async () => {
    await migrate(pg.db, upTo0005);
    const recent = randomUUID();
    const startKnown = randomUUID();
    const old = randomUUID();
    const refunded = randomUUID();
    const pending = randomUUID();
    await sql`
      insert into owed_refunds
        (order_id, currency_code, units, nanos, created_at, next_attempt_at, done_at, nothing_captured, charge_started_at)
      values
        (${recent}, 'USD', 1, 0, now() - interval '2 days', now() - interval '2 days', now() - interval '2 days', true, null),
        (${startKnown}, 'USD', 2, 0, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', true, now() - interval '25 hours'),
        (${old}, 'USD', 3, 0, now() - interval '9 days', now() - interval '8 days', now() - interval '8 days', true, null),
        (${refunded}, 'USD', 4, 0, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', false, null),
        (${pending}, 'USD', 5, 0, now() - interval '1 hour', now() + interval '1 hour', null, false, now() - interval '1 hour')`;

    await migrate(pg.db, migrationsFolder);

    const rows = await sql<Row[]>`
      select order_id, done_at is not null as done, nothing_captured, next_attempt_at <= now() as due,
             charge_started_at = created_at as starts_at_creation
      from owed_refunds order by units`;
    assert.deepEqual(
      rows.map((row) => ({ ...row })),
      [
        { order_id: recent, done: false, nothing_captured: false, due: true, starts_at_creation: true },
        // Its own start is kept.
        { order_id: startKnown, done: false, nothing_captured: false, due: true, starts_at_creation: false },
        { order_id: old, done: true, nothing_captured: true, due: true, starts_at_creation: null },
        { order_id: refunded, done: true, nothing_captured: false, due: true, starts_at_creation: null },
        { order_id: pending, done: false, nothing_captured: false, due: false, starts_at_creation: true },
      ],
    );
  });
});
