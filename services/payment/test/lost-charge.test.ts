import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { createLogger, type Logger } from "@shop/platform/log";
import { createLogSink } from "@shop/platform/testing";
import type postgres from "postgres";
import { type CardProvider, createFakeCardProvider, type RefundAttempt } from "../src/card-provider.js";
import { codeOf, createHeldChargeProvider, usd } from "./overtaken-charge.js";
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

    assert.notEqual(await codeOf(client.charge(request)), undefined, "the saga's Charge fails");
    assert.equal((await sql`select 1 from payments where order_id = ${orderId}`).length, 0);
    assert.equal(await attemptRecorded(orderId), true, "the attempt was committed before the provider call");
    assert.deepEqual(fake.ledger(), [
      { kind: "capture", idempotencyKey: orderId, amount: usd(9, 250_000_000) },
    ]);

    // The saga compensates: no payment was recorded, so for it nothing was taken.
    assert.equal(await codeOf(client.refund({ orderId, reason: "charge failed" })), Code.NotFound);
    const owed = await owedRow(orderId);
    assert.equal(owed?.done, false, "the possibly captured money is owed");
    assert.equal(owed?.units, "9");
    assert.equal(await attemptRecorded(orderId), false, "the attempt became the owed refund");

    assert.deepEqual(await service.owedRefunds.runPass(), {
      givenBack: 1,
      nothingCaptured: 0,
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
    assert.equal(await codeOf(client.refund({ orderId })), Code.NotFound);
    assert.equal(await codeOf(client.charge(request)), Code.FailedPrecondition);
    await service.owedRefunds.runPass();
    assert.equal(refundCalls.length, 1);
    assert.equal(fake.ledger().length, 2);
  });

  test("an attempt that captured nothing (declined, then the process died) is closed as nothing captured, not retried", async () => {
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

    assert.notEqual(await codeOf(client.charge(request)), undefined);
    assert.equal(await codeOf(client.refund({ orderId })), Code.NotFound);
    assert.equal((await owedRow(orderId))?.done, false);

    assert.deepEqual(await service.owedRefunds.runPass(), {
      givenBack: 0,
      nothingCaptured: 1,
      failed: 0,
      skipped: 0,
    });
    const closed = await owedRow(orderId);
    assert.equal(closed?.done, true);
    assert.equal(closed?.nothing_captured, true);
    assert.equal(closed?.attempts, 1);
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
    assert.equal(refundCalls.length, 1);
    assert.equal((await owedRow(orderId))?.attempts, 1);
  });

  test("a 'nothing captured' answered while the charge was still on its way is reopened when the capture lands", async () => {
    const held = createHeldChargeProvider();
    const { service, client } = await startService(held.provider);
    const orderId = randomUUID();
    const charge = codeOf(
      client.charge({ orderId, userId: "user-lost", amount: usd(6), cardToken: "tok_visa" }),
    );
    await held.charging;
    assert.equal(await codeOf(client.refund({ orderId })), Code.NotFound);
    // The worker asks while the provider still holds the charge: nothing captured yet.
    assert.equal((await service.owedRefunds.runPass()).nothingCaptured, 1);
    assert.equal((await owedRow(orderId))?.nothing_captured, true);

    held.release();
    assert.equal(await charge, Code.FailedPrecondition);
    const done = await owedRow(orderId);
    assert.equal(done?.done, true);
    assert.equal(done?.nothing_captured, false, "reopened by the capture and given back");
    assert.equal(done?.attempts, 2);
    assert.equal(held.refundCalls.length, 2);
  });
});
