/**
 * Checkout under failure, over real processes, real Postgres, Redis and a private NATS JetStream:
 *
 * - `kill -9` of the order service while sagas are in flight, then a restart on the same database;
 * - NATS stopped for 10 s while checkouts are placed and sagas run, then started again;
 * - a poison event on the order stream, parked in the dead-letter stream, and redriven by the
 *   operator command.
 *
 * After each, the system's own records are checked from every service's point of view: orders,
 * reservations and stock, payments, the outboxes, the order stream and the notifications.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { listDeadLetters } from "@shop/platform/events/dlq";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { domainStream } from "@shop/platform/events/streams";
import { runScript, withLogsOnFailure } from "../support/processes.js";
import { type CheckoutCluster, type ClusterDatabase, startCheckoutCluster } from "./checkout-cluster.js";

const address = { name: "Ada Lovelace", line1: "12 Analytical St", city: "London", country: "GB" };
const clientFaultCodes = new Set([
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.NotFound,
  Code.PermissionDenied,
  Code.Unauthenticated,
  Code.AlreadyExists,
]);

/** Polls until `check` yields a value; fails naming `what` after `timeoutMs`. Every wait is bounded. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}

interface Checkout {
  readonly userId: string;
  readonly cardToken: string;
  readonly quantity: number;
  /** Places the order, retrying with the SAME idempotency key while the order service is unreachable. */
  place(): Promise<string>;
}

describe("checkout under failure (real processes)", { timeout: 300_000 }, () => {
  let cluster: CheckoutCluster;

  before(async () => {
    cluster = await startCheckoutCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  /** A shopper with `quantity` units of `productId` in the cart, ready to check out. */
  async function prepareCheckout(productId: string, quantity: number, cardToken: string): Promise<Checkout> {
    const shopper = await cluster.shopper();
    await cluster.clients.cart.addItem({ productId, quantity }, shopper.options);
    const idempotencyKey = randomUUID();
    return {
      userId: shopper.userId,
      cardToken,
      quantity,
      async place() {
        // What a real client does when the connection dies mid-call: retry with the same key.
        return eventually(
          `PlaceOrder of ${shopper.userId} accepted`,
          async () => {
            try {
              const { order } = await cluster.clients.order.placeOrder(
                { payment: { cardToken }, shippingAddress: address, idempotencyKey },
                { ...shopper.options, timeoutMs: 10_000 },
              );
              return order?.id;
            } catch (error) {
              if (clientFaultCodes.has(ConnectError.from(error).code)) throw error;
              return undefined;
            }
          },
          60_000,
        );
      },
    };
  }

  async function count(db: ClusterDatabase, query: string): Promise<number> {
    const [row] = await cluster.sql[db].unsafe<{ n: number }[]>(query);
    return Number(row?.n ?? 0);
  }

  async function orderRows(ids: readonly string[]) {
    return cluster.sql.order<
      { id: string; user_id: string; status: string; saga_step: string; total_units: string }[]
    >`
      select id, user_id, status::text, saga_step::text, total_units::text from orders where id in ${cluster.sql.order(ids)}`;
  }

  async function waitAllTerminal(ids: readonly string[]) {
    return eventually("every order to reach a terminal state", async () => {
      const rows = await orderRows(ids);
      return rows.length === ids.length && rows.every((r) => r.saga_step === "DONE") ? rows : undefined;
    });
  }

  /** OrderConfirmed / OrderCancelled messages on the order stream, by order id (all of them, duplicates kept). */
  async function terminalEvents(): Promise<Map<string, string[]>> {
    const stream = domainStream("order").name;
    const info = await cluster.events.jsm.streams.info(stream);
    const byOrder = new Map<string, string[]>();
    const wanted = new Set<string>([OrderConfirmedSchema.typeName, OrderCancelledSchema.typeName]);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await cluster.events.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (!message || !wanted.has(message.subject)) continue;
      let orderId: string;
      try {
        const { event } = decodeEvent(message.subject, message.data);
        orderId = (event as unknown as { orderId: string }).orderId;
      } catch {
        continue; // a poison message (the DLQ test) is not an order outcome
      }
      byOrder.set(orderId, [...(byOrder.get(orderId) ?? []), message.subject]);
    }
    return byOrder;
  }

  /**
   * The invariants of ARCHITECTURE §7 for a set of finished orders of one product: one terminal state
   * each, stock and money consistent with it, exactly one terminal event and one notification each.
   */
  async function assertConsistent(
    checkouts: readonly Checkout[],
    orderIds: readonly string[],
    productId: string,
    initialStock: number,
    unitPrice: number,
  ) {
    assert.equal(new Set(orderIds).size, checkouts.length, "one order per checkout (idempotency key)");
    const rows = await waitAllTerminal(orderIds);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const users = await cluster.sql.order<{ user_id: string; n: number }[]>`
      select user_id, count(*)::int as n from orders
      where user_id in ${cluster.sql.order(checkouts.map((c) => c.userId))} group by user_id`;
    assert.equal(users.length, checkouts.length);
    assert.ok(
      users.every((u) => u.n === 1),
      "no shopper got a second order from a retried PlaceOrder",
    );
    for (const row of rows)
      assert.ok(["CONFIRMED", "CANCELLED"].includes(row.status), `order ${row.id}: ${row.status}`);
    const confirmed = rows.filter((r) => r.status === "CONFIRMED").map((r) => r.id);
    const cancelled = rows.filter((r) => r.status === "CANCELLED").map((r) => r.id);
    const quantityOf = new Map(checkouts.map((c, i) => [orderIds[i] ?? "", c.quantity]));
    for (const [i, checkout] of checkouts.entries()) {
      if (checkout.cardToken === "tok_chargeDeclined") {
        assert.equal(byId.get(orderIds[i] ?? "")?.status, "CANCELLED", "a declined card never confirms");
      }
    }

    // Stock: what is gone is exactly what the confirmed orders committed; nothing stays reserved.
    const [stock] = await cluster.sql.inventory<{ available: number; reserved: number }[]>`
      select available, reserved from stock where product_id = ${productId}`;
    const reservations = await cluster.sql.inventory<
      { order_id: string; status: string; quantity: number }[]
    >`
      select r.order_id, r.status::text, sum(i.quantity)::int as quantity
      from reservations r join reservation_items i on i.reservation_id = r.id
      where r.order_id in ${cluster.sql.inventory(orderIds)} group by r.order_id, r.status`;
    assert.deepEqual(
      reservations.filter((r) => r.status === "RESERVED"),
      [],
      "no reservation left RESERVED",
    );
    const committed = reservations.filter((r) => r.status === "COMMITTED");
    assert.deepEqual(committed.map((r) => r.order_id).sort(), [...confirmed].sort());
    for (const r of committed) assert.equal(r.quantity, quantityOf.get(r.order_id));
    const committedUnits = committed.reduce((sum, r) => sum + r.quantity, 0);
    assert.equal(stock?.reserved, 0);
    assert.equal((stock?.available ?? 0) + committedUnits, initialStock, "stock = available + committed");

    // Money: one captured payment of the order's total per confirmed order; none kept for cancelled ones.
    const payments = await cluster.sql.payment<{ order_id: string; status: string; units: string }[]>`
      select order_id::text, status::text, units::text from payments where order_id in ${cluster.sql.payment(orderIds)}`;
    const paymentsByOrder = new Map<string, Array<(typeof payments)[number]>>();
    for (const p of payments)
      paymentsByOrder.set(p.order_id, [...(paymentsByOrder.get(p.order_id) ?? []), p]);
    for (const id of confirmed) {
      const own = paymentsByOrder.get(id) ?? [];
      assert.equal(own.length, 1, `order ${id} charged once`);
      assert.equal(own[0]?.status, "CAPTURED");
      assert.equal(own[0]?.units, String((quantityOf.get(id) ?? 0) * unitPrice));
    }
    for (const id of cancelled) {
      const own = paymentsByOrder.get(id) ?? [];
      assert.ok(own.length <= 1, `order ${id} charged at most once`);
      assert.notEqual(own[0]?.status, "CAPTURED", `cancelled order ${id} keeps no money`);
    }

    // Events: exactly one terminal event per order, matching its status, once the relay caught up.
    await eventually(
      "the outbox of the order service to drain",
      async () =>
        (await count("order", "select count(*)::int as n from outbox where published_at is null")) === 0,
    );
    const events = await eventually("a terminal event for every order on the order stream", async () => {
      const found = await terminalEvents();
      return orderIds.every((id) => found.has(id)) ? found : undefined;
    });
    for (const id of orderIds) {
      const expected =
        byId.get(id)?.status === "CONFIRMED" ? OrderConfirmedSchema.typeName : OrderCancelledSchema.typeName;
      assert.deepEqual(events.get(id), [expected], `order ${id}: exactly one terminal event`);
    }

    // Notifications: exactly one per order, of the right kind.
    const notifications = await eventually("one notification per order", async () => {
      const found = await cluster.sql.notification<{ order_id: string; kind: string }[]>`
        select order_id, kind from notifications where order_id in ${cluster.sql.notification(orderIds)}`;
      return found.length >= orderIds.length ? found : undefined;
    });
    assert.equal(notifications.length, orderIds.length);
    for (const n of notifications) {
      const expected = byId.get(n.order_id)?.status === "CONFIRMED" ? "ORDER_CONFIRMED" : "ORDER_CANCELLED";
      assert.equal(n.kind, expected);
    }
    return { confirmed, cancelled };
  }

  test("kill -9 of the order service mid-saga: after a restart every order ends once, stock and money consistent", async (t) => {
    await withLogsOnFailure(cluster.logSources, async () => {
      const unitPrice = 7;
      const initialStock = 20;
      const productId = await cluster.createProduct(unitPrice, initialStock);
      // 14 shoppers × 2 units for 20 units: some must run out of stock; two cards decline.
      const checkouts = await Promise.all(
        Array.from({ length: 14 }, (_, i) =>
          prepareCheckout(productId, 2, i % 7 === 3 ? "tok_chargeDeclined" : "tok_visa"),
        ),
      );
      const pidBefore = cluster.order.pid();
      const placing = checkouts.map((c) => c.place());

      // Kill the moment the payment service has taken the first charge: sagas are mid-flight.
      await eventually(
        "the first charge",
        async () => (await count("payment", "select count(*)::int as n from payments")) > 0,
        30_000,
      );
      await cluster.order.kill("SIGKILL");
      const placed = await count("order", "select count(*)::int as n from orders");
      const unfinished = await count(
        "order",
        "select count(*)::int as n from orders where saga_step <> 'DONE'",
      );
      assert.ok(
        placed < checkouts.length || unfinished > 0,
        "the kill must hit while checkouts were still in flight",
      );

      t.diagnostic(`at the kill: ${placed} orders stored, ${unfinished} of them mid-saga`);

      await cluster.order.restart();
      assert.notEqual(cluster.order.pid(), pidBefore);
      const orderIds = await Promise.all(placing);
      const { confirmed, cancelled } = await assertConsistent(
        checkouts,
        orderIds,
        productId,
        initialStock,
        unitPrice,
      );
      t.diagnostic(`after the restart: ${confirmed.length} CONFIRMED, ${cancelled.length} CANCELLED`);
      assert.ok(confirmed.length > 0 && cancelled.length > 0, "both outcomes occurred");
    });
  });

  test("NATS stopped for 10 s during checkouts: nothing is lost once it is back", async (t) => {
    await withLogsOnFailure(cluster.logSources, async () => {
      const unitPrice = 11;
      const initialStock = 30;
      const productId = await cluster.createProduct(unitPrice, initialStock);
      const checkouts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          prepareCheckout(productId, 2, i % 5 === 4 ? "tok_chargeDeclined" : "tok_visa"),
        ),
      );
      const early = checkouts.slice(0, 3);
      const late = checkouts.slice(3);
      const earlyIds = await Promise.all(early.map((c) => c.place()));

      await cluster.nats.stop();
      const stoppedAt = Date.now();
      const lateIds = await Promise.all(late.map((c) => c.place()));
      const orderIds = [...earlyIds, ...lateIds];
      // The sagas need no NATS: they finish during the outage, their events wait in the outboxes.
      await waitAllTerminal(orderIds);
      const outageMs = 10_000 - (Date.now() - stoppedAt);
      if (outageMs > 0) await delay(outageMs);
      const piledUp = await count(
        "order",
        "select count(*)::int as n from outbox where published_at is null",
      );
      t.diagnostic(`${piledUp} order events waited in the outbox during the outage`);
      assert.ok(piledUp > 0, "events piled up in the order outbox while NATS was down");

      await cluster.nats.start();
      for (const db of ["order", "inventory", "payment", "notification"] as const) {
        await eventually(
          `the ${db} outbox to drain after the outage`,
          async () =>
            (await count(db, "select count(*)::int as n from outbox where published_at is null")) === 0,
        );
      }
      await assertConsistent(checkouts, orderIds, productId, initialStock, unitPrice);
    });
  });

  test("a poison event is dead-lettered while other notifications flow, and the operator can redrive it", async () => {
    await withLogsOnFailure(cluster.logSources, async () => {
      const deps = { js: cluster.events.js, jsm: cluster.events.jsm };
      const poisonId = randomUUID();
      await cluster.events.js.publish(
        OrderConfirmedSchema.typeName,
        new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]),
        {
          msgID: poisonId,
        },
      );
      const unitPrice = 5;
      const productId = await cluster.createProduct(unitPrice, 10);
      const checkouts = await Promise.all(
        ["tok_visa", "tok_chargeDeclined", "tok_visa"].map((card) => prepareCheckout(productId, 1, card)),
      );
      const orderIds = await Promise.all(checkouts.map((c) => c.place()));
      await assertConsistent(checkouts, orderIds, productId, 10, unitPrice);

      const letter = await eventually("the poison message in the dead-letter stream", async () =>
        (await listDeadLetters(deps)).find((l) => l.msgId === poisonId),
      );
      assert.equal(letter.originalSubject, OrderConfirmedSchema.typeName);
      assert.equal(letter.consumer, "notification-order-confirmed");

      // The operator command, run as operators run it (`npm run dlq -- redrive <seq>`).
      const result = await runScript("scripts/dlq.ts", ["redrive", String(letter.seq)], {
        NATS_URL: cluster.nats.url,
      });
      assert.equal(result.code, 0, `dlq redrive failed:\n${result.stdout}\n${result.stderr}`);
      const remaining = await listDeadLetters(deps);
      assert.equal(
        remaining.find((l) => l.seq === letter.seq),
        undefined,
        "the redriven letter left the DLQ",
      );

      // Still garbage, so the consumer parks the redriven copy again — under the redrive's own id.
      const again = await eventually("the redriven poison message back in the dead-letter stream", async () =>
        (await listDeadLetters(deps)).find((l) => l.msgId === `${poisonId}:redrive:${letter.seq}`),
      );
      assert.equal(again.originalSubject, OrderConfirmedSchema.typeName);
      const notifications = await cluster.sql.notification<{ n: number }[]>`
        select count(*)::int as n from notifications where order_id in ${cluster.sql.notification(orderIds)}`;
      assert.equal(notifications[0]?.n, orderIds.length, "the poison message created no notification");
    });
  });
});
