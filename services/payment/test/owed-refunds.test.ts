import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { createLogger, type Logger } from "@shop/platform/log";
import { createPostgres, migrate, type Postgres } from "@shop/platform/postgres";
import { createLogSink, freePort, rejectionCode } from "@shop/platform/testing";
import type postgres from "postgres";
import type { CardProvider, RefundAttempt } from "../src/card-provider.js";
import { createOwedRefundStore, recordOwedRefund } from "../src/owed-refund-store.js";
import { createOwedRefundWorker, type OwedRefundWorkerOptions } from "../src/owed-refund-worker.js";
import { migrationsFolder } from "../src/service.js";
import { createHeldChargeProvider, overtakeCharge, usd } from "./overtaken-charge.js";
import { createPaymentTestBed, type PaymentTestBed } from "./payment-test-bed.js";

interface OwedRow {
  attempts: number;
  last_error: string;
  units: string;
  done: boolean;
  /** Seconds from the database's now to the next attempt (negative when due). */
  due_in: number;
}

function deferred<T = void>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Fails instead of hanging when `promise` is blocked (e.g. waiting for a row lock). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe("refunds owed for charges captured after their order was voided", () => {
  let bed: PaymentTestBed;
  let sql: postgres.Sql;

  before(async () => {
    bed = await createPaymentTestBed("payment_owed");
    sql = bed.sql;
  });

  after(async () => {
    await bed?.close();
  });

  const startService = (provider: CardProvider, options: { logger?: Logger; metricsPort?: number } = {}) =>
    bed.startService(provider, options);

  async function owedRow(orderId: string): Promise<OwedRow | undefined> {
    const [row] = await sql<OwedRow[]>`
      select attempts, last_error, units::text as units, done_at is not null as done,
             extract(epoch from next_attempt_at - now())::float8 as due_in
      from owed_refunds where order_id = ${orderId}`;
    return row;
  }

  async function pendingGauge(metricsPort: number): Promise<string | undefined> {
    const body = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return /^owed_refunds_pending\{[^}]*\} (\d+)$/m.exec(body)?.[1];
  }

  test("a give-back the provider refuses is recorded, answered FAILED_PRECONDITION, and retried until it succeeds", async () => {
    let failuresLeft = 2;
    const givenBack: RefundAttempt[] = [];
    const held = createHeldChargeProvider(async (attempt) => {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error("card provider unavailable");
      }
      givenBack.push(attempt);
    });
    const logs = createLogSink();
    const metricsPort = await freePort();
    const { service, client } = await startService(held.provider, {
      logger: createLogger({ service: "payment", level: "info", destination: logs.stream }),
      metricsPort,
    });
    const orderId = randomUUID();
    const request = { orderId, userId: "user-owed", amount: usd(13), cardToken: "tok_visa" };

    // The refund overtakes the charge; the provider then approves, and refuses the give-back.
    const { charge } = await overtakeCharge(client, held, request);
    assert.equal(
      await charge,
      Code.FailedPrecondition,
      "the order is void; the give-back is the service's job",
    );
    assert.equal(held.refundCalls.length, 1, "the charge tried to give the money back at once");
    const pending = await owedRow(orderId);
    assert.equal(pending?.done, false);
    assert.equal(pending?.attempts, 1);
    assert.equal(pending?.units, "13");
    assert.match(pending?.last_error ?? "", /card provider unavailable/);
    assert.ok(
      logs
        .records()
        .some(
          (line) =>
            line.order_id === orderId && line.msg === "owed refund failed at the provider; will retry",
        ),
      "the failure is logged",
    );
    assert.equal(await pendingGauge(metricsPort), "1");

    // A retried Charge still stops at the void and leaves the give-back to the worker.
    assert.equal(await rejectionCode(client.charge(request)), Code.FailedPrecondition);
    assert.equal(held.refundCalls.length, 1);

    assert.deepEqual(await service.owedRefunds.runPass(), {
      givenBack: 0,
      nothingCaptured: 0,
      nothingCapturedYet: 0,
      failed: 1,
      skipped: 0,
    });
    assert.deepEqual(await service.owedRefunds.runPass(), {
      givenBack: 1,
      nothingCaptured: 0,
      nothingCapturedYet: 0,
      failed: 0,
      skipped: 0,
    });
    assert.deepEqual(
      givenBack.map((refund) => ({ key: refund.idempotencyKey, amount: refund.amount })),
      [{ key: orderId, amount: usd(13) }],
    );
    // Every attempt asked for the same refund, keyed by the order, so the provider gives back once.
    assert.ok(held.refundCalls.every((refund) => refund.idempotencyKey === orderId));
    const done = await owedRow(orderId);
    assert.equal(done?.done, true);
    assert.equal(done?.attempts, 3);
    assert.equal(await pendingGauge(metricsPort), "0");

    // Given back is final: later passes leave it alone, and still nothing was recorded as a payment.
    assert.deepEqual(await service.owedRefunds.runPass(), {
      givenBack: 0,
      nothingCaptured: 0,
      nothingCapturedYet: 0,
      failed: 0,
      skipped: 0,
    });
    assert.equal(held.refundCalls.length, 3);
    assert.equal((await sql`select 1 from payments where order_id = ${orderId}`).length, 0);
  });

  test("a crash between recording the debt and refunding loses nothing: a later instance gives the money back", async () => {
    const refundReached = deferred();
    let recordedBeforeProvider: OwedRow | undefined;
    const crashing = createHeldChargeProvider(async ({ idempotencyKey }) => {
      // Seen from another connection, so the debt is committed before the provider is asked.
      recordedBeforeProvider = await owedRow(idempotencyKey);
      refundReached.resolve();
      // The process dies here: its provider call never comes back.
      await new Promise<never>(() => {});
    });
    const first = await startService(crashing.provider);
    const orderId = randomUUID();
    const { charge } = await overtakeCharge(first.client, crashing, {
      orderId,
      userId: "user-crash",
      amount: usd(21, 500_000_000),
      cardToken: "tok_visa",
    });
    await refundReached.promise;
    assert.equal(recordedBeforeProvider?.done, false);
    assert.equal(recordedBeforeProvider?.attempts, 0);

    // Its database session, which holds the owed refund's row, dies with it.
    const killed = await sql`
      select pg_terminate_backend(pid) from pg_locks
      where relation = 'owed_refunds'::regclass and mode = 'RowShareLock' and pid <> pg_backend_pid()`;
    assert.equal(killed.length, 1, "one session was attempting the owed refund");
    // The charge's attempt fails with its session; the order is void all the same.
    assert.equal(await charge, Code.FailedPrecondition);
    assert.equal((await owedRow(orderId))?.done, false, "still owed after the crash");

    const givenBack: RefundAttempt[] = [];
    const later = await startService({
      charge: () => Promise.reject(new Error("no charges expected")),
      refund: async (attempt) => {
        givenBack.push(attempt);
        return "refunded";
      },
    });
    // Waits for the pass the new instance ran at start, then runs one more.
    await later.service.owedRefunds.runPass();
    assert.deepEqual(
      givenBack.map((refund) => ({ key: refund.idempotencyKey, amount: refund.amount })),
      [{ key: orderId, amount: usd(21, 500_000_000) }],
    );
    const done = await owedRow(orderId);
    assert.equal(done?.done, true);
    assert.equal(done?.attempts, 1);
  });

  describe("the worker, over the store directly", () => {
    let pg: Postgres;

    before(async () => {
      pg = createPostgres({
        url: bed.database.url,
        logger: createLogger({ service: "payment", level: "silent" }),
      });
      // Migrated here too, so these tests also run alone (--test-name-pattern).
      await migrate(pg.db, migrationsFolder);
    });

    after(async () => {
      await pg?.close();
    });

    function worker(provider: CardProvider, overrides: Partial<OwedRefundWorkerOptions> = {}) {
      return createOwedRefundWorker({
        store: createOwedRefundStore(pg.db, { chargeInFlightMs: 60_000 }),
        provider,
        logger: createLogger({ service: "payment", level: "silent" }),
        backoff: { baseDelayMs: 1, maxDelayMs: 1 },
        scanIntervalMs: 60_000,
        ...overrides,
      });
    }

    async function owe(orderId: string): Promise<void> {
      await pg.db.transaction((tx) => recordOwedRefund(tx, orderId, usd(4)));
    }

    const noCharges = () => Promise.reject(new Error("no charges expected"));

    test("two workers never call the provider for the same owed refund at once (SKIP LOCKED)", async () => {
      const orderId = randomUUID();
      await owe(orderId);
      const aAtProvider = deferred();
      const aMayAnswer = deferred();
      const aCalls: string[] = [];
      const bCalls: string[] = [];
      const a = worker({
        charge: noCharges,
        refund: async ({ idempotencyKey }) => {
          aCalls.push(idempotencyKey);
          aAtProvider.resolve();
          await aMayAnswer.promise;
          return "refunded";
        },
      });
      const b = worker({
        charge: noCharges,
        refund: async ({ idempotencyKey }) => {
          bCalls.push(idempotencyKey);
          return "refunded";
        },
      });

      const aPass = a.runPass();
      await aAtProvider.promise;
      // B lists the row as due, but A holds it: B skips it rather than calling the provider or waiting.
      const bPass = await within(b.runPass(), 5000, "a pass of worker B while A holds the row");
      assert.ok(bPass.skipped >= 1);
      assert.equal(bPass.givenBack, 0);
      assert.deepEqual(bCalls, []);

      aMayAnswer.resolve();
      assert.equal((await aPass).givenBack, 1);
      await b.runPass();
      assert.deepEqual(aCalls, [orderId]);
      assert.deepEqual(bCalls, [], "given back once: B never called the provider for it");
      assert.equal((await owedRow(orderId))?.done, true);
    });

    test("after each failure the next attempt waits a capped, exponentially growing delay", async () => {
      const orderId = randomUUID();
      await owe(orderId);
      let calls = 0;
      const failing = worker(
        {
          charge: noCharges,
          refund: async () => {
            calls++;
            throw new Error("still down");
          },
        },
        // Half the ceiling each time (full jitter pinned): 30 s, 60 s, 120 s, then capped at 120 s.
        { backoff: { baseDelayMs: 60_000, maxDelayMs: 240_000 }, random: () => 0.5 },
      );
      const expectedDelays = [30, 60, 120, 120];
      for (const [index, seconds] of expectedDelays.entries()) {
        // Only this test's row is made due; others in the database are left as they are.
        await sql`update owed_refunds set next_attempt_at = now() where order_id = ${orderId}`;
        await failing.runPass();
        const row = await owedRow(orderId);
        assert.equal(row?.attempts, index + 1);
        assert.ok(
          row && Math.abs(row.due_in - seconds) < 5,
          `attempt ${index + 1}: due in ${row?.due_in} s, expected about ${seconds} s`,
        );
        // Not due yet: a pass now leaves it alone.
        await failing.runPass();
        assert.equal(calls, index + 1);
      }
      assert.equal((await owedRow(orderId))?.done, false);
    });
  });
});
