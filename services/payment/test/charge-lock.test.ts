import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "@connectrpc/connect";
import { rejectionCode } from "@shop/platform/testing";
import type postgres from "postgres";
import type { ChargeAttempt } from "../src/card-provider.js";
import { createHeldChargeProvider, usd } from "./overtaken-charge.js";
import { createPaymentTestBed, type PaymentTestBed } from "./payment-test-bed.js";

/**
 * A Charge that waits for its order's lock while a Refund holds it must see what that Refund
 * committed. Why a test of its own: the Charge takes the lock and looks for a void in one statement
 * (one round trip), and a plain statement reads with the snapshot taken when it started, before the
 * wait, so it would miss the void. Here a transaction plays the Refund: it holds the lock and voids
 * the order, the Charge's statement is seen waiting for the lock in pg_locks, then the void commits.
 */
describe("a Charge waiting for its order's lock sees the void committed by the holder", () => {
  let bed: PaymentTestBed;
  let sql: postgres.Sql;

  before(async () => {
    bed = await createPaymentTestBed("payment_lock");
    sql = bed.sql;
  });

  after(async () => {
    await bed?.close();
  });

  /**
   * Opens a transaction that holds the order's lock (`payment_order_lock_key`, as Refund takes it) and voids
   * the order, as a Refund that found no payment does; `commit` ends it.
   */
  async function voidHoldingTheLock(orderId: string) {
    const holder = await sql.reserve();
    await holder`begin`;
    await holder`select pg_advisory_xact_lock(payment_order_lock_key(${orderId}::uuid))`;
    await holder`insert into voided_orders (order_id) values (${orderId})`;
    return {
      async commit() {
        await holder`commit`;
        holder.release();
      },
    };
  }

  /** Resolves once a session of the test database waits for an advisory lock (polls pg_locks). */
  async function someoneWaitsForTheLock(): Promise<void> {
    for (let polls = 0; polls < 2000; polls++) {
      const [row] = await sql<{ waiting: number }[]>`
        select count(*)::int as waiting from pg_locks
        where locktype = 'advisory' and not granted
          and database = (select oid from pg_database where datname = current_database())`;
      if ((row?.waiting ?? 0) > 0) return;
      await sleep(5);
    }
    assert.fail("no session ever waited for the order's lock");
  }

  test("before the provider is asked: the Charge is refused and the provider never asked", async () => {
    const asked: ChargeAttempt[] = [];
    const { client } = await bed.startService({
      async charge(attempt) {
        asked.push(attempt);
        return { approved: true };
      },
      refund: async () => "nothing-captured",
    });
    const orderId = randomUUID();
    const refund = await voidHoldingTheLock(orderId);
    const charge = rejectionCode(
      client.charge({ orderId, userId: "user-lock", amount: usd(5), cardToken: "tok_visa" }),
    );
    await someoneWaitsForTheLock();
    await refund.commit();

    assert.equal(await charge, Code.FailedPrecondition);
    assert.deepEqual(asked, [], "the provider is not asked for a voided order");
    assert.equal((await sql`select 1 from charge_attempts where order_id = ${orderId}`).length, 0);
  });

  test("after the provider approved: no payment is recorded, the capture is owed and given back", async () => {
    const held = createHeldChargeProvider();
    const { client } = await bed.startService(held.provider);
    const orderId = randomUUID();
    const charge = rejectionCode(
      client.charge({ orderId, userId: "user-lock", amount: usd(7), cardToken: "tok_visa" }),
    );
    await held.charging;
    const refund = await voidHoldingTheLock(orderId);
    held.release();
    await someoneWaitsForTheLock();
    await refund.commit();

    assert.equal(await charge, Code.FailedPrecondition);
    assert.equal((await sql`select 1 from payments where order_id = ${orderId}`).length, 0);
    const owed = await sql<{ units: string; done: boolean }[]>`
      select units::text as units, done_at is not null as done from owed_refunds where order_id = ${orderId}`;
    assert.deepEqual([...owed], [{ units: "7", done: true }], "recorded as owed and given back at once");
    assert.equal(held.refundCalls.length, 1);
    assert.equal((await sql`select 1 from charge_attempts where order_id = ${orderId}`).length, 0);
  });
});
