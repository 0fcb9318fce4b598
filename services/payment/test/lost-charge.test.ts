import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { createLogger, type Logger } from "@shop/platform/log";
import { createLogSink, rejectionCode } from "@shop/platform/testing";
import type postgres from "postgres";
import { type CardProvider, createFakeCardProvider, type RefundAttempt } from "../src/card-provider.js";
import type { OwedRefundPass } from "../src/owed-refund-worker.js";
import { createHeldChargeProvider, usd } from "./overtaken-charge.js";
import { createPaymentTestBed, type PaymentTestBed } from "./payment-test-bed.js";

interface OwedRow {
  attempts: number;
  units: string;
  done: boolean;
  nothing_captured: boolean;
}

/**
 * A charge whose process dies after the provider answered and before the service recorded anything
 * (neither a payment nor an owed refund): the saga's Charge fails, and it compensates with Refund.
 */
describe("a charge attempt the service never recorded an outcome for", () => {
  let bed: PaymentTestBed;
  let sql: postgres.Sql;

  before(async () => {
    bed = await createPaymentTestBed("payment_lost");
    sql = bed.sql;
  });

  after(async () => {
    await bed?.close();
  });

  const startService = (provider: CardProvider, logger?: Logger) =>
    bed.startService(provider, logger ? { logger } : {});

  async function owedRow(orderId: string): Promise<OwedRow | undefined> {
    const [row] = await sql<OwedRow[]>`
      select attempts, units::text as units, done_at is not null as done, nothing_captured
      from owed_refunds where order_id = ${orderId}`;
    return row;
  }

  async function attemptRecorded(orderId: string): Promise<boolean> {
    return (await sql`select 1 from charge_attempts where order_id = ${orderId}`).length > 0;
  }

  /**
   * The clock moves a day on for the order's owed refund: its charge began a day ago, past any
   * deadline and margin, and the time it was put off to is a day nearer. (Moving the rows back is
   * moving the database's clock on, for this order only.)
   */
  async function aDayPasses(orderId: string): Promise<void> {
    await sql`
      update owed_refunds
      set charge_started_at = charge_started_at - interval '1 day',
          next_attempt_at = next_attempt_at - interval '1 day'
      where order_id = ${orderId}`;
  }

  /** What a pass of the worker did: these counts, and zero for the others. */
  const pass = (counts: Partial<OwedRefundPass>): OwedRefundPass => ({
    givenBack: 0,
    nothingCaptured: 0,
    nothingCapturedYet: 0,
    failed: 0,
    skipped: 0,
    ...counts,
  });

  test("approved, then the process dies before recording: Refund is NotFound and the capture is given back once", async () => {
    const fake = createFakeCardProvider();
    const refundCalls: RefundAttempt[] = [];
    const { service, client } = await startService({
      async charge(attempt) {
        await fake.charge(attempt);
        // The provider captured; the process dies before insertOnce records anything.
        throw new Error("payment process died after the provider approved");
      },
      refund(attempt) {
        refundCalls.push(attempt);
        return fake.refund(attempt);
      },
    });
    const orderId = randomUUID();
    const request = { orderId, userId: "user-lost", amount: usd(9, 250_000_000), cardToken: "tok_visa" };

    assert.notEqual(await rejectionCode(client.charge(request)), undefined, "the saga's Charge fails");
    assert.equal((await sql`select 1 from payments where order_id = ${orderId}`).length, 0);
    assert.equal(await attemptRecorded(orderId), true, "the attempt was committed before the provider call");
    assert.deepEqual(fake.ledger(), [
      { kind: "capture", idempotencyKey: orderId, amount: usd(9, 250_000_000) },
    ]);

    // The saga compensates: no payment was recorded, so for it nothing was taken.
    assert.equal(await rejectionCode(client.refund({ orderId, reason: "charge failed" })), Code.NotFound);
    const owed = await owedRow(orderId);
    assert.equal(owed?.done, false, "the possibly captured money is owed");
    assert.equal(owed?.units, "9");
    assert.equal(await attemptRecorded(orderId), false, "the attempt became the owed refund");

    assert.deepEqual(await service.owedRefunds.runPass(), {
      givenBack: 1,
      nothingCaptured: 0,
      nothingCapturedYet: 0,
      failed: 0,
      skipped: 0,
    });
    assert.deepEqual(fake.ledger(), [
      { kind: "capture", idempotencyKey: orderId, amount: usd(9, 250_000_000) },
      { kind: "refund", idempotencyKey: orderId, amount: usd(9, 250_000_000) },
    ]);
    const done = await owedRow(orderId);
    assert.equal(done?.done, true);
    assert.equal(done?.nothing_captured, false);
    assert.equal(done?.attempts, 1);

    // Final: later passes, a repeated Refund and a late Charge move no more money.
    await service.owedRefunds.runPass();
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);
    assert.equal(await rejectionCode(client.charge(request)), Code.FailedPrecondition);
    await service.owedRefunds.runPass();
    assert.equal(refundCalls.length, 1);
    assert.equal(fake.ledger().length, 2);
  });

  test("an attempt that captured nothing (declined, then the process died) is closed as nothing captured once its charge can no longer capture, then not retried", async () => {
    const fake = createFakeCardProvider();
    const refundCalls: RefundAttempt[] = [];
    const logs = createLogSink();
    const { service, client } = await startService(
      {
        async charge(attempt) {
          const decision = await fake.charge(attempt);
          assert.equal(decision.approved, false);
          throw new Error("payment process died before recording the decline");
        },
        refund(attempt) {
          refundCalls.push(attempt);
          return fake.refund(attempt);
        },
      },
      createLogger({ service: "payment", level: "info", destination: logs.stream }),
    );
    const orderId = randomUUID();
    const request = { orderId, userId: "user-lost", amount: usd(4), cardToken: "tok_chargeDeclined" };

    assert.notEqual(await rejectionCode(client.charge(request)), undefined);
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);
    assert.equal((await owedRow(orderId))?.done, false);

    // Asked at once, the provider has nothing; but as far as the service knows the charge may still
    // be on its way, so the answer is not final yet.
    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCapturedYet: 1 }));
    assert.equal((await owedRow(orderId))?.done, false);
    await aDayPasses(orderId);
    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCaptured: 1 }));
    const closed = await owedRow(orderId);
    assert.equal(closed?.done, true);
    assert.equal(closed?.nothing_captured, true);
    assert.equal(closed?.attempts, 2);
    assert.deepEqual(fake.ledger(), [], "no money moved either way");
    assert.ok(
      logs
        .records()
        .some(
          (line) =>
            line.order_id === orderId &&
            line.msg === "owed refund closed: the provider captured nothing for the order, no money moved",
        ),
      "logged as nothing captured, not as a refund",
    );

    // Not retried: the answer is final.
    await sql`update owed_refunds set next_attempt_at = now() where order_id = ${orderId}`;
    await service.owedRefunds.runPass();
    await service.owedRefunds.runPass();
    assert.equal(refundCalls.length, 2);
    assert.equal((await owedRow(orderId))?.attempts, 2);
  });

  test("a 'nothing captured' answered while the charge is on its way is not final: the capture that lands is given back at once", async () => {
    const held = createHeldChargeProvider();
    const { service, client } = await startService(held.provider);
    const orderId = randomUUID();
    const charge = rejectionCode(
      client.charge({ orderId, userId: "user-lost", amount: usd(6), cardToken: "tok_visa" }),
    );
    await held.charging;
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);
    // The worker asks while the provider still holds the charge: nothing captured yet.
    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCapturedYet: 1 }));
    const waiting = await owedRow(orderId);
    assert.equal(waiting?.done, false);
    assert.equal(waiting?.nothing_captured, false);

    held.release();
    assert.equal(await charge, Code.FailedPrecondition);
    const done = await owedRow(orderId);
    assert.equal(done?.done, true, "the Charge that saw the capture gave it back");
    assert.equal(done?.nothing_captured, false);
    assert.equal(done?.attempts, 2);
    assert.equal(held.refundCalls.length, 2);
  });

  test("'nothing captured', then the provider captures and the process dies before recording: given back once, after the charge's deadline", async () => {
    const fake = createFakeCardProvider();
    const refundCalls: RefundAttempt[] = [];
    const held = createHeldChargeProvider();
    const { service, client } = await startService({
      async charge(attempt) {
        // Held at the provider until the test releases it; then captured, and the process dies
        // before insertOnce records anything.
        await held.provider.charge(attempt);
        await fake.charge(attempt);
        throw new Error("payment process died after the provider approved");
      },
      refund(attempt) {
        refundCalls.push(attempt);
        return fake.refund(attempt);
      },
    });
    const orderId = randomUUID();
    const capture = { kind: "capture", idempotencyKey: orderId, amount: usd(8) } as const;
    const charge = rejectionCode(
      client.charge({ orderId, userId: "user-lost", amount: usd(8), cardToken: "tok_visa" }),
    );
    await held.charging;
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);

    // The provider has captured nothing yet: the row must stay owed, since the charge may still land.
    await service.owedRefunds.runPass();
    assert.equal((await owedRow(orderId))?.done, false, "not closed while the charge may still capture");
    assert.deepEqual(fake.ledger(), []);

    held.release();
    assert.notEqual(await charge, undefined, "the Charge's process died");
    assert.deepEqual(fake.ledger(), [capture]);
    assert.equal(await attemptRecorded(orderId), false);

    // Before the charge's deadline and margin have passed nobody asks again (the row is put off).
    assert.deepEqual(await service.owedRefunds.runPass(), pass({}));
    assert.equal(refundCalls.length, 1);

    await aDayPasses(orderId);
    assert.deepEqual(await service.owedRefunds.runPass(), pass({ givenBack: 1 }));
    assert.deepEqual(fake.ledger(), [capture, { kind: "refund", idempotencyKey: orderId, amount: usd(8) }]);
    const done = await owedRow(orderId);
    assert.equal(done?.done, true);
    assert.equal(done?.nothing_captured, false);
    assert.equal(done?.attempts, 2);

    // Exactly once: later passes and a repeated Refund move no more money.
    await aDayPasses(orderId);
    await service.owedRefunds.runPass();
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);
    await service.owedRefunds.runPass();
    assert.equal(refundCalls.length, 2);
    assert.equal(fake.ledger().length, 2);
  });

  test("a repeated Charge moves the attempt's start: 'nothing captured' waits for the latest charge's deadline", async () => {
    const { service, client } = await startService({
      charge: () => Promise.reject(new Error("card provider unreachable")),
      refund: async () => "nothing-captured",
    });
    const orderId = randomUUID();
    const request = { orderId, userId: "user-lost", amount: usd(3), cardToken: "tok_visa" };

    assert.notEqual(await rejectionCode(client.charge(request)), undefined);
    // That first charge began a day ago, long past its deadline.
    await sql`
      update charge_attempts set last_started_at = last_started_at - interval '1 day'
      where order_id = ${orderId}`;
    // The saga repeats the Charge: this one may be on its way from now on.
    assert.notEqual(await rejectionCode(client.charge(request)), undefined);
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);

    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCapturedYet: 1 }));
    assert.equal((await owedRow(orderId))?.done, false);
  });
  test("a Charge the provider does not answer before CARD_CHARGE_TIMEOUT_MS is UNAVAILABLE; a Refund then owes its amount from the charge's start", {
    timeout: 30_000,
  }, async () => {
    let signal: AbortSignal | undefined;
    const { service, client } = await bed.startService(
      {
        charge(attempt) {
          signal = attempt.signal;
          return new Promise<never>(() => {});
        },
        refund: async () => "nothing-captured",
      },
      { chargeTimeoutMs: 50 },
    );
    const orderId = randomUUID();

    assert.equal(
      await rejectionCode(
        client.charge({ orderId, userId: "user-lost", amount: usd(2), cardToken: "tok_visa" }),
      ),
      Code.Unavailable,
    );
    assert.equal(signal?.aborted, true, "the provider call is cancelled");
    assert.equal(await attemptRecorded(orderId), true, "its outcome is unknown");
    assert.equal(await rejectionCode(client.refund({ orderId })), Code.NotFound);
    const [owed] = await sql<{ started: boolean }[]>`
      select charge_started_at is not null and charge_started_at <= now() as started
      from owed_refunds where order_id = ${orderId}`;
    assert.equal(owed?.started, true);
    // Default margin (a minute) after a 50 ms deadline: "nothing captured" is not final yet.
    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCapturedYet: 1 }));
  });

  test("an owed refund without a charge start (written by a replica before charge_started_at existed) waits one window from its creation", async () => {
    const refundCalls: RefundAttempt[] = [];
    const { service } = await startService({
      charge: () => Promise.reject(new Error("no charges expected")),
      async refund(attempt) {
        refundCalls.push(attempt);
        return "nothing-captured";
      },
    });
    const orderId = randomUUID();
    // What a Refund of the old code writes for an attempt without a payment: the void and the owed
    // refund, without charge_started_at, while the attempt's charge may still be on its way.
    await sql`insert into voided_orders (order_id) values (${orderId})`;
    await sql`
      insert into owed_refunds (order_id, currency_code, units, nanos)
      values (${orderId}, 'USD', 5, 0)`;

    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCapturedYet: 1 }));
    const waiting = await owedRow(orderId);
    assert.equal(waiting?.done, false, "not closed on the first 'nothing captured'");
    assert.equal(waiting?.nothing_captured, false);

    await sql`
      update owed_refunds
      set created_at = created_at - interval '1 day', next_attempt_at = next_attempt_at - interval '1 day'
      where order_id = ${orderId}`;
    assert.deepEqual(await service.owedRefunds.runPass(), pass({ nothingCaptured: 1 }));
    assert.equal((await owedRow(orderId))?.nothing_captured, true);
    assert.equal(refundCalls.length, 2);
  });

  test("a repeated Charge never moves the attempt's start backwards", async () => {
    const { client } = await startService({
      charge: () => Promise.reject(new Error("card provider unreachable")),
      refund: async () => "nothing-captured",
    });
    const orderId = randomUUID();
    const request = { orderId, userId: "user-lost", amount: usd(3), cardToken: "tok_visa" };
    assert.notEqual(await rejectionCode(client.charge(request)), undefined);
    // A later repeat got the order's lock first and recorded its start; this one, whose statement
    // (and so its now()) began earlier, gets the lock after it.
    await sql`
      update charge_attempts set last_started_at = now() + interval '1 hour' where order_id = ${orderId}`;
    assert.notEqual(await rejectionCode(client.charge(request)), undefined);
    const [attempt] = await sql<{ later: boolean }[]>`
      select last_started_at > now() + interval '59 minutes' as later
      from charge_attempts where order_id = ${orderId}`;
    assert.equal(attempt?.later, true, "the later start is kept");
  });

  test("a Charge whose caller's deadline passes stops waiting for the provider and cancels its call at once, long before CARD_CHARGE_TIMEOUT_MS", {
    timeout: 30_000,
  }, async () => {
    let signal: AbortSignal | undefined;
    let asked: () => void = () => {};
    const atProvider = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const { client } = await bed.startService(
      {
        charge(attempt) {
          signal = attempt.signal;
          asked();
          return new Promise<never>(() => {});
        },
        refund: async () => "nothing-captured",
      },
      { chargeTimeoutMs: 20_000 },
    );
    const request = { orderId: randomUUID(), userId: "user-lost", amount: usd(2), cardToken: "tok_visa" };

    // A short client deadline, as the saga's step timeout.
    assert.equal(await rejectionCode(client.charge(request, { timeoutMs: 300 })), Code.DeadlineExceeded);
    await atProvider;
    await waitFor(
      () => signal?.aborted === true,
      3000,
      "the provider call is cancelled after the caller's deadline",
    );

    // A caller that cancels.
    const caller = new AbortController();
    const cancelled = rejectionCode(
      client.charge({ ...request, orderId: randomUUID() }, { signal: caller.signal }),
    );
    await waitFor(() => signal?.aborted === false, 3000, "the second Charge reaches the provider");
    caller.abort();
    assert.equal(await cancelled, Code.Canceled);
    await waitFor(() => signal?.aborted === true, 3000, "the provider call is cancelled with the caller");
  });
});

/** Polls `condition` every 10 ms until it holds, failing with `what` after `withinMs`. */
async function waitFor(condition: () => boolean, withinMs: number, what: string): Promise<void> {
  const until = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > until) assert.fail(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
