import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { createLogger } from "@shop/platform/log";
import { createPostgres, migrate, type Postgres } from "@shop/platform/postgres";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { createOwedRefundStore } from "../src/owed-refund-store.js";
import { migrationsFolder } from "../src/service.js";
import { createPaymentStore } from "../src/store.js";

/** A copy of the migrations folder whose journal ends at migration `lastIdx`: the schema of an older release. */
async function migrationsUpTo(lastIdx: number): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "payment-migrations-"));
  await cp(migrationsFolder, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { idx: number }[] };
  journal.entries = journal.entries.filter((entry) => entry.idx <= lastIdx);
  await writeFile(journalPath, JSON.stringify(journal));
  return folder;
}

/** A fresh payment database and the migrations of an older release, to upgrade from. */
interface OlderReleaseBed {
  readonly pg: Postgres;
  readonly sql: postgres.Sql;
  /** Migrates the database to the older release's schema. */
  migrateToOlderRelease(): Promise<void>;
  close(): Promise<void>;
}

async function openOlderReleaseBed(prefix: string, lastIdx: number): Promise<OlderReleaseBed> {
  const database: TestDatabase = await createTestDatabase({ prefix });
  const pg = createPostgres({
    url: database.url,
    logger: createLogger({ service: "payment", level: "silent" }),
  });
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const olderMigrations = await migrationsUpTo(lastIdx);
  return {
    pg,
    sql,
    migrateToOlderRelease: () => migrate(pg.db, olderMigrations),
    async close() {
      await sql.end({ timeout: 5 });
      await pg.close();
      await database.drop();
      await rm(olderMigrations, { recursive: true, force: true });
    },
  };
}

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
  let bed: OlderReleaseBed;
  // The migrations as they were before 0006.
  before(async () => {
    bed = await openOlderReleaseBed("payment_reopen", 5);
  });
  after(() => bed?.close());

  test("recent 'nothing captured' rows are owed again, due now, with a start; others are untouched", async () => {
    const { pg, sql } = bed;
    await bed.migrateToOlderRelease();
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

/**
 * A database of the release before 0004 (Charge as separate statements, no charge starts), holding a
 * payment, a void, a charge in flight and owed refunds, upgraded to the latest schema while its rows
 * stay: the service's own stores must then work on those rows as on rows they wrote themselves.
 */
describe("a payment database with rows at 0003 upgrades through 0004–0006", () => {
  const chargeInFlightMs = 70_000;
  let bed: OlderReleaseBed;
  before(async () => {
    bed = await openOlderReleaseBed("payment_upgrade", 3);
  });
  after(() => bed?.close());

  test("paid, voided and in-flight orders and owed refunds keep their meaning under the new code", async () => {
    const { pg, sql } = bed;
    await bed.migrateToOlderRelease();
    const [paid, voided, inFlight, owedLongAgo, owedJustNow] = [1, 2, 3, 4, 5].map(() => randomUUID()) as [
      string,
      string,
      string,
      string,
      string,
    ];
    await sql`
      insert into payments (id, order_id, user_id, currency_code, units, nanos, status)
      values (${randomUUID()}, ${paid}, 'user-1', 'USD', 12, 500000000, 'CAPTURED')`;
    await sql`insert into voided_orders (order_id) values (${voided})`;
    await sql`
      insert into charge_attempts (order_id, currency_code, units, nanos, created_at)
      values (${inFlight}, 'EUR', 7, 0, now() - interval '10 minutes')`;
    await sql`
      insert into owed_refunds (order_id, currency_code, units, nanos, created_at, next_attempt_at)
      values (${owedLongAgo}, 'USD', 3, 0, now() - interval '1 hour', now() - interval '1 hour'),
             (${owedJustNow}, 'USD', 4, 0, now() - interval '5 seconds', now() - interval '5 seconds')`;

    const upgradedAt = Date.now();
    await migrate(pg.db, migrationsFolder);

    const [attempt] = await sql<{ units: string; last_started_at: Date }[]>`
      select units, last_started_at from charge_attempts where order_id = ${inFlight}`;
    assert.equal(attempt?.units, "7", "the attempt in flight is kept");
    // Its real start is unknown: the upgrade counts it from then, later than it was (the safe side).
    assert.ok((attempt?.last_started_at.getTime() ?? 0) >= upgradedAt - 1000);
    const starts = await sql<{ order_id: string; from_creation: boolean }[]>`
      select order_id, charge_started_at = created_at as from_creation from owed_refunds order by units`;
    assert.deepEqual(
      starts.map((row) => ({ ...row })),
      [
        { order_id: owedLongAgo, from_creation: true },
        { order_id: owedJustNow, from_creation: true },
      ],
    );

    const store = createPaymentStore(pg.db, async () => {});
    const otherAmount = create(MoneySchema, { currencyCode: "USD", units: 99n, nanos: 0 });
    const paidOutcome = await store.beginCharge(paid, otherAmount);
    assert.equal(paidOutcome.kind, "paid");
    assert.equal(paidOutcome.kind === "paid" && paidOutcome.payment.amount?.units, 12n);
    assert.equal((await store.beginCharge(voided, otherAmount)).kind, "voided");

    // A Refund of the order whose charge was in flight at the upgrade turns that attempt (the row the
    // old release wrote, untouched since) into an owed refund of its amount, from its start.
    const refund = await store.refund(
      inFlight,
      async () => assert.fail("no payment to give back"),
      () => assert.fail("no event without a payment"),
    );
    assert.deepEqual(refund, { kind: "no-payment", refundOwed: true });
    const [owed] = await sql<{ currency_code: string; units: string; charge_started_at: Date | null }[]>`
      select currency_code, units, charge_started_at from owed_refunds where order_id = ${inFlight}`;
    assert.equal(`${owed?.currency_code} ${owed?.units}`, "EUR 7");
    assert.equal(owed?.charge_started_at?.getTime(), attempt?.last_started_at.getTime());
    assert.equal((await store.beginCharge(inFlight, otherAmount)).kind, "voided", "the Refund voided it");

    // A new order's charge begins on the upgraded schema.
    const fresh = randomUUID();
    assert.equal((await store.beginCharge(fresh, otherAmount)).kind, "begun");
    const [freshAttempt] = await sql<{ units: string }[]>`
      select units from charge_attempts where order_id = ${fresh}`;
    assert.equal(freshAttempt?.units, "99");

    // Backfilled starts are used: the refund owed for an hour is final on "nothing captured"; the one
    // owed for seconds may still see its charge capture, so it stays owed.
    const owedRefunds = createOwedRefundStore(pg.db, { chargeInFlightMs });
    const nothingCaptured = async () => "nothing-captured" as const;
    const retryDelay = () => 1000;
    assert.equal(
      (await owedRefunds.attempt(owedLongAgo, nothingCaptured, retryDelay)).kind,
      "nothing-captured",
    );
    assert.equal(
      (await owedRefunds.attempt(owedJustNow, nothingCaptured, retryDelay)).kind,
      "nothing-captured-yet",
    );
  });
});
