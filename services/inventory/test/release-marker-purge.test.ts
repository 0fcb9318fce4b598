import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createTestTokenIssuer } from "@shop/platform/auth/testing";
import { writeOutbox } from "@shop/platform/events/outbox";
import { createLogger } from "@shop/platform/log";
import type { Postgres } from "@shop/platform/postgres";
import { openServiceDatabase } from "@shop/platform/service-database";
import { createLogSink, createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import { parseInventoryConfig } from "../src/config.js";
import { createReleaseMarkerPurge, type ReleaseMarkerPurgeOptions } from "../src/release-marker-purge.js";
import { startInventoryService } from "../src/service.js";
import { createInventoryStore, type InventoryStore } from "../src/store.js";

const hourMs = 3_600_000;
const retentionMs = 24 * hourMs;
const silent = createLogger({ service: "inventory", level: "silent" });

/** Polls `check` every 20 ms until it holds, for at most 5 s. */
async function waitUntil(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached within 5 s");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the purge of release markers (ids released before they were reserved)", () => {
  let database: TestDatabase;
  let pg: Postgres;
  let store: InventoryStore;
  /** The purge's clock; markers are placed relative to it, so no test waits for a marker to age. */
  let now: Date;

  function purge(options: Partial<ReleaseMarkerPurgeOptions> = {}) {
    return createReleaseMarkerPurge({
      store,
      logger: silent,
      retentionMs,
      intervalMs: hourMs,
      now: () => now,
      ...options,
    });
  }

  async function backdate(id: string, ageMs: number): Promise<void> {
    // An ISO string: the pool leaves value serialisation to drizzle, so it takes no Date objects.
    const at = new Date(now.getTime() - ageMs).toISOString();
    const updated = await pg.sql`
      update reservations set created_at = ${at}, updated_at = ${at} where id = ${id}`;
    assert.equal(updated.count, 1, `no reservation ${id} to backdate`);
  }

  /** A marker written by the real path (a release of an unknown id), `ageMs` before `now`. */
  async function marker(ageMs: number): Promise<string> {
    const id = randomUUID();
    assert.equal((await store.release(id)).kind, "not-found");
    await backdate(id, ageMs);
    return id;
  }

  /** A real reservation of one unit, ended as `end` says, written `ageMs` before `now`. */
  async function reservation(end: "RESERVED" | "COMMITTED" | "RELEASED", ageMs: number): Promise<string> {
    const productId = randomUUID();
    await store.setStock(productId, 10);
    const id = randomUUID();
    const reserved = await store.reserve({
      reservationId: id,
      orderId: `order-${id}`,
      items: [{ productId, quantity: 1 }],
    });
    assert.equal(reserved.kind, "reserved");
    if (end === "COMMITTED") assert.equal((await store.commit(id)).kind, "done");
    if (end === "RELEASED") assert.equal((await store.release(id)).kind, "done");
    await backdate(id, ageMs);
    return id;
  }

  async function reservationIds(): Promise<string[]> {
    const rows = await pg.sql<{ id: string }[]>`select id from reservations order by id`;
    return rows.map((row) => row.id);
  }

  before(async () => {
    database = await createTestDatabase({ prefix: "inventory_purge" });
    pg = await openServiceDatabase({
      url: database.url,
      logger: silent,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    });
    store = createInventoryStore(pg.db, (tx, event) => writeOutbox(tx, event));
  });

  beforeEach(async () => {
    now = new Date();
    await pg.sql`truncate reservations cascade`;
  });

  after(async () => {
    await pg?.close();
    await database?.drop();
  });

  test("markers older than the retention are purged; a newer marker and every real reservation stay", async () => {
    const month = 30 * 24 * hourMs;
    const justExpired = await marker(retentionMs + 1000);
    await marker(month);
    const young = await marker(retentionMs - 1000);
    // Real reservations are records, however old and whatever their status (RELEASED included).
    const real = [
      await reservation("RESERVED", month),
      await reservation("COMMITTED", month),
      await reservation("RELEASED", month),
    ];
    // Only a hand-made row can have an empty order id without being RELEASED; it is no marker either.
    const handMade = randomUUID();
    await pg.sql`insert into reservations (id, order_id, status, created_at)
      values (${handMade}, '', 'RESERVED', ${new Date(now.getTime() - month).toISOString()})`;

    assert.equal(await purge().runPass(), 2);
    assert.deepEqual(await reservationIds(), [young, ...real, handMade].sort());
    const [items] = await pg.sql<{ count: number }[]>`
      select count(*)::int as count from reservation_items where reservation_id in ${pg.sql(real)}`;
    assert.equal(items?.count, 3, "the real reservations keep their items");
    // Nothing left to purge: a second pass deletes nothing more.
    assert.equal(await purge().runPass(), 0);
    assert.deepEqual(await reservationIds(), [young, ...real, handMade].sort());
    // The purged ids are no longer fenced: a release of one claims it again with a new marker.
    assert.equal((await store.release(justExpired)).kind, "not-found");
    assert.ok((await reservationIds()).includes(justExpired));
  });

  test("one statement deletes at most a batch; a pass repeats it while a batch comes back full", async () => {
    for (let i = 0; i < 5; i++) await marker(retentionMs + (i + 1) * 1000);
    const young = await marker(retentionMs - 1000);
    const before = new Date(now.getTime() - retentionMs);

    assert.equal(await store.purgeReleaseMarkers(before, 2), 2);
    assert.equal((await reservationIds()).length, 4, "one statement deleted more than its batch");

    const batches: number[] = [];
    const counting: Pick<InventoryStore, "purgeReleaseMarkers"> = {
      async purgeReleaseMarkers(cutoff, limit) {
        const deleted = await store.purgeReleaseMarkers(cutoff, limit);
        batches.push(deleted);
        return deleted;
      },
    };
    assert.equal(await purge({ store: counting, batchSize: 2 }).runPass(), 3);
    assert.deepEqual(batches, [2, 1]);
    assert.deepEqual(await reservationIds(), [young]);
  });

  test("a pass logs how many markers it purged, at info, and logs nothing when there were none", async () => {
    const logs = createLogSink();
    const logger = createLogger({ service: "inventory", level: "info", destination: logs.stream });
    const purger = purge({ logger });

    await marker(retentionMs - 1000);
    assert.equal(await purger.runPass(), 0);
    logger.flush();
    assert.deepEqual(logs.records(), []);

    await marker(retentionMs + 1000);
    await marker(retentionMs + 2000);
    assert.equal(await purger.runPass(), 2);
    logger.flush();
    const records = logs.records();
    assert.equal(records.length, 1);
    assert.equal(records[0]?.level, "info");
    assert.equal(records[0]?.purged, 2);
    assert.equal(records[0]?.component, "release-marker-purge");
  });

  // A pass that ignored `stop` would never end here: the timeout turns that hang into a failure.
  test("a failing pass is logged as an error and the schedule goes on; stop ends a pass between batches", {
    timeout: 10_000,
  }, async () => {
    const logs = createLogSink();
    const logger = createLogger({ service: "inventory", level: "info", destination: logs.stream });
    let calls = 0;
    // Fails first, then always comes back full: only `stop` can end that pass.
    const flaky: Pick<InventoryStore, "purgeReleaseMarkers"> = {
      async purgeReleaseMarkers(_before, limit) {
        calls++;
        // A real round trip yields to timers; a stub that never did would starve waitUntil.
        await new Promise((resolve) => setImmediate(resolve));
        if (calls === 1) throw new Error("database unreachable");
        return limit;
      },
    };
    const purger = purge({ store: flaky, logger, intervalMs: 1 });
    purger.start();
    await waitUntil(() => calls >= 3);
    await purger.stop();
    const stoppedAt = calls;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls, stoppedAt, "a batch ran after stop resolved");
    logger.flush();
    const errors = logs.records().filter((record) => record.level === "error");
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.msg), /release marker purge failed/);
  });

  test("the service purges at start-up with RELEASE_MARKER_RETENTION_MS", async () => {
    const expired = await marker(2 * hourMs);
    const young = await marker(30 * 60_000);
    const config = parseInventoryConfig({
      DATABASE_URL: database.url,
      LOG_LEVEL: "silent",
      RELEASE_MARKER_RETENTION_MS: "1h",
    });
    const { verifier } = await createTestTokenIssuer();
    const service = await startInventoryService({ ...config, PORT: 0 }, { verifier });
    try {
      await waitUntil(async () => !(await reservationIds()).includes(expired));
      assert.deepEqual(await reservationIds(), [young]);
    } finally {
      await service.shutdown();
    }
  });
});
