import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { sql as dsql } from "drizzle-orm";
import { createLogger } from "./log.js";
import { createPostgres, type Postgres } from "./postgres.js";
import { createTestDatabase, type TestDatabase } from "./testing/database.js";

/**
 * A transaction whose server connection dies (a Postgres restart, a failover, `pg_terminate_backend`),
 * as patched by `patches/postgres+3.4.9+001+closed-connection.patch`. Unpatched, the driver wrote its
 * own ROLLBACK, or the transaction's next query, to the socket it had just dropped: a TypeError thrown
 * from a `setImmediate` callback, which no caller can catch and which ends a service's process
 * (porsager/postgres#1154, #1208). And once the pool had reconnected that connection for other work,
 * the transaction's next query ran there, outside the transaction, and was committed on its own.
 * A reserved connection (`sql.reserve()`, what migrate() holds its lock on) crashed the same way, and
 * the first query on a reconnected connection failed with the dead session's FATAL error.
 * These tests fail on the unpatched driver.
 */
describe("a transaction whose connection dies", () => {
  const logger = createLogger({ service: "test", level: "silent" });
  let database: TestDatabase;
  /** A separate pool, to watch and kill the transaction's backend. */
  let admin: Postgres;
  let uncaught: unknown[] = [];
  const recordUncaught = (error: unknown) => {
    uncaught.push(error);
  };

  before(async () => {
    database = await createTestDatabase({ prefix: "platform_pg_loss" });
    admin = createPostgres({ url: database.url, logger, max: 2 });
    await admin.sql`create table notes (note text not null)`;
  });
  after(async () => {
    await admin.close();
    await database.drop();
  });
  // The crash is thrown from a setImmediate callback, so no promise of the test sees it: only the
  // process does. node:test would attribute it somewhere too; recording it here makes it this test's.
  beforeEach(() => {
    uncaught = [];
    process.on("uncaughtException", recordUncaught);
  });
  afterEach(() => {
    process.off("uncaughtException", recordUncaught);
  });

  async function terminate(pid: number): Promise<void> {
    const [row] = await admin.sql<{ done: boolean }[]>`select pg_terminate_backend(${pid}) as done`;
    assert.equal(row?.done, true, `backend ${pid} was not there to terminate`);
  }

  /** Waits until backend `pid` is running a query that contains `text`. */
  async function waitUntilRunning(pid: number, text: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const rows = await admin.sql`
        select 1 from pg_stat_activity
        where pid = ${pid} and state = 'active' and position(${text} in query) > 0`;
      if (rows.length > 0) return;
      await sleep(10);
    }
    assert.fail(`backend ${pid} never ran ${text}`);
  }

  /** Gives a crash scheduled with setImmediate (and the socket's close) the time to happen. */
  async function settle(): Promise<void> {
    await sleep(100);
  }

  async function noteCount(note: string): Promise<number> {
    const [row] = await admin.sql<{ n: number }[]>`select count(*)::int as n from notes where note = ${note}`;
    return row?.n ?? -1;
  }

  const ways = {
    "drizzle's db.transaction": (
      pg: Postgres,
      body: (run: (query: string) => Promise<unknown[]>) => Promise<void>,
    ) => pg.db.transaction((tx) => body(async (query) => [...(await tx.execute(dsql.raw(query)))])),
    "the driver's sql.begin": (
      pg: Postgres,
      body: (run: (query: string) => Promise<unknown[]>) => Promise<void>,
    ) => pg.sql.begin((tx) => body(async (query) => [...(await tx.unsafe(query))])),
  };

  for (const [way, transaction] of Object.entries(ways)) {
    it(`${way}: a query in flight when the backend is killed rejects, the process lives on, and the pool serves again`, {
      timeout: 20_000,
    }, async () => {
      // One connection: the query after the kill has to reconnect the very connection that died.
      const pg = createPostgres({ url: database.url, logger, max: 1 });
      try {
        const pid = deferred<number>();
        const done = transaction(pg, async (run) => {
          const [row] = (await run("select pg_backend_pid() as pid")) as { pid: number }[];
          pid.resolve(row?.pid ?? 0);
          await run("select pg_sleep(10)");
        });
        const outcome = done.then(
          () => undefined,
          (error: unknown) => error,
        );
        await waitUntilRunning(await pid.promise, "pg_sleep");
        await terminate(await pid.promise);

        const error = await outcome;
        assert.ok(isConnectionLoss(error), `the transaction ended with ${describeError(error)}`);
        await settle();
        assert.deepEqual(uncaught.map(describeError), []);

        const [row] = await pg.sql<{ one: number }[]>`select 1 as one`;
        assert.equal(row?.one, 1);
        const [other] = await pg.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
        assert.notEqual(other?.pid, await pid.promise, "the pool still used the dead backend");
        assert.deepEqual(uncaught.map(describeError), []);
      } finally {
        await pg.close();
      }
    });
  }

  // The application awaits something outside the database (another service, a timer) while its
  // transaction is idle, the backend dies meanwhile, and then it sends the transaction's next query.
  for (const [traffic, options] of Object.entries({
    "no other traffic": { max: 10, otherQuery: false },
    "the pool reconnects the connection for another query meanwhile": { max: 1, otherQuery: true },
  })) {
    it(`the next query of a transaction killed while it waited rejects and never runs outside it (${traffic})`, {
      timeout: 20_000,
    }, async () => {
      const pg = createPostgres({ url: database.url, logger, max: options.max });
      const note = `lost-${traffic}`;
      try {
        const pid = deferred<number>();
        const outsideCall = deferred<void>();
        let insert: unknown = "not attempted";
        const done = pg.db.transaction(async (tx) => {
          const [row] = (await tx.execute(dsql`select pg_backend_pid() as pid`)) as unknown as {
            pid: number;
          }[];
          pid.resolve(row?.pid ?? 0);
          await outsideCall.promise;
          insert = await tx.execute(dsql`insert into notes (note) values (${note})`).then(
            () => "ran",
            (error: unknown) => error,
          );
        });
        const outcome = done.then(
          () => "committed",
          (error: unknown) => error,
        );
        await terminate(await pid.promise);
        // The driver notices the close and fails the transaction while its body still waits.
        const error = await outcome;
        assert.ok(isConnectionLoss(error), `the transaction ended with ${describeError(error)}`);

        if (options.otherQuery) {
          const [row] = await pg.sql<{ one: number }[]>`select 1 as one`;
          assert.equal(row?.one, 1);
        }
        outsideCall.resolve();
        // The body goes on: its insert, then the driver's commit (or rollback).
        for (let attempt = 0; attempt < 100 && insert === "not attempted"; attempt++) await sleep(10);
        await settle();

        assert.deepEqual(uncaught.map(describeError), []);
        assert.ok(isConnectionLoss(insert), `the insert after the kill ended with ${describeError(insert)}`);
        assert.equal(await noteCount(note), 0, "the insert ran outside its transaction");
        const [row] = await pg.sql<{ one: number }[]>`select 1 as one`;
        assert.equal(row?.one, 1);
        assert.deepEqual(uncaught.map(describeError), []);
      } finally {
        await pg.close();
      }
    });
  }

  // migrate() holds its advisory lock on a reserved connection, the other holder the driver has.
  it("a reserved connection whose backend dies fails its later queries, and its release leaves the pool working", {
    timeout: 20_000,
  }, async () => {
    const pg = createPostgres({ url: database.url, logger, max: 1 });
    const note = "lost-reserved";
    try {
      const reserved = await pg.sql.reserve();
      const [row] = await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const pid = row?.pid ?? 0;
      const sleeping = reserved`select pg_sleep(10)`.then(
        () => "finished",
        (error: unknown) => error,
      );
      await waitUntilRunning(pid, "pg_sleep");
      await terminate(pid);
      const error = await sleeping;
      assert.ok(isConnectionLoss(error), `the query in flight ended with ${describeError(error)}`);

      const insert = await reserved`insert into notes (note) values (${note})`.then(
        () => "ran",
        (error: unknown) => error,
      );
      await settle();
      assert.deepEqual(uncaught.map(describeError), []);
      assert.ok(isConnectionLoss(insert), `the insert after the kill ended with ${describeError(insert)}`);

      reserved.release();
      const [one] = await pg.sql<{ one: number }[]>`select 1 as one`;
      assert.equal(one?.one, 1);
      assert.equal(await noteCount(note), 0, "the insert ran on a session other than the reserved one");
      assert.deepEqual(uncaught.map(describeError), []);
    } finally {
      await pg.close();
    }
  });
});

const connectionLossCodes = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "57P01",
]);

/** Whether `error`, or an error it wraps (drizzle wraps the driver's), is the loss of the connection. */
function isConnectionLoss(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (connectionLossCodes.has(String((current as { code?: unknown }).code))) return true;
    current = current.cause;
  }
  return false;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? ` (cause: ${describeError(error.cause)})` : "";
  return `${error.name}${code ? ` ${String(code)}` : ""}: ${error.message}${cause}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
