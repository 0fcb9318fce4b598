import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { OrderCancelledSchema, OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createEvent } from "@shop/platform/events/event-codec";
import type { NewOrder, OrderStore } from "./order-store.js";

/** What a store adapter's test file provides to the shared contract suite. */
export interface OrderStoreHarness {
  readonly store: OrderStore;
  /** Ids of the events the adapter has written to its outbox, to check they commit with the change. */
  outboxEventIds(): Promise<string[]>;
  /** Closes the store and drops whatever the harness created. */
  dispose(): Promise<void>;
}

export interface OrderStoreContractOptions {
  /** Set to skip the whole suite, with this reason printed (e.g. no server reachable). */
  readonly skip?: string;
}

let clock = Date.parse("2030-01-01T00:00:00.000Z");

/** A valid new order; each call gets a later create time, so newest-first order is predictable. */
export function sampleOrder(overrides: Partial<NewOrder> = {}): NewOrder {
  clock += 1000;
  const createdAt = new Date(clock);
  return {
    id: randomUUID(),
    userId: `user-${randomUUID()}`,
    idempotencyKey: randomUUID(),
    status: "PENDING",
    statusReason: "",
    items: [
      {
        productId: "p-1",
        name: "Mug",
        quantity: 2,
        unitPrice: { currencyCode: "EUR", units: 9_007_199_254_740_993n, nanos: 500_000_000 },
      },
    ],
    total: { currencyCode: "EUR", units: 18_014_398_509_481_987n, nanos: 0 },
    shippingAddress: {
      name: "Ada",
      line1: "1 Main St",
      line2: "",
      city: "Berlin",
      region: "",
      postalCode: "10115",
      country: "DE",
    },
    paymentId: "",
    saga: {
      step: "RESERVING",
      attempts: 0,
      cardToken: "tok_visa",
      failureReason: "",
      leaseOwner: "",
      leaseExpiresAt: createdAt,
    },
    cartVersion: String(clock),
    createdAt,
    ...overrides,
  };
}

function placed(order: NewOrder) {
  return createEvent(OrderPlacedSchema, { orderId: order.id, userId: order.userId });
}

/**
 * Registers the OrderStore contract tests for one adapter. Why one suite: the service runs on either
 * store (MongoDB deployed, Postgres locally and in CI), so both must behave identically in exactly the
 * ways the handlers and the saga rely on — idempotent create, newest-first paging, optimistic
 * concurrency and outbox writes that commit with the change.
 */
export function registerOrderStoreContract(
  adapter: string,
  open: () => Promise<OrderStoreHarness>,
  options: OrderStoreContractOptions = {},
): void {
  describe(`OrderStore contract: ${adapter}`, { skip: options.skip ?? false }, () => {
    let harness: OrderStoreHarness;
    let store: OrderStore;

    before(async () => {
      harness = await open();
      store = harness.store;
    });
    after(async () => {
      await harness?.dispose();
    });

    test("create stores every field exactly and writes OrderPlaced to the outbox", async () => {
      const order = sampleOrder();
      const event = placed(order);
      const { order: stored, created } = await store.create(order, event);
      assert.equal(created, true);
      assert.equal(stored.version, 1);
      const read = await store.get(order.id);
      assert.ok(read);
      const { version, updatedAt, ...rest } = read;
      const { cartVersion, ...recorded } = order;
      assert.deepEqual(rest, recorded);
      assert.equal(version, 1);
      assert.equal(updatedAt.getTime(), order.createdAt.getTime());
      assert.ok((await harness.outboxEventIds()).includes(event.eventId));
    });

    test("get of an unknown id is undefined", async () => {
      assert.equal(await store.get(randomUUID()), undefined);
    });

    test("a repeated idempotency key returns the first order and writes nothing", async () => {
      const first = sampleOrder();
      await store.create(first, placed(first));
      const repeat = sampleOrder({ userId: first.userId, idempotencyKey: first.idempotencyKey });
      const repeatEvent = placed(repeat);
      const result = await store.create(repeat, repeatEvent);
      assert.equal(result.created, false);
      assert.equal(result.order.id, first.id);
      assert.equal(await store.get(repeat.id), undefined);
      assert.equal((await store.getByIdempotencyKey(first.userId, first.idempotencyKey))?.id, first.id);
      assert.equal(await store.getByIdempotencyKey(first.userId, randomUUID()), undefined);
      assert.ok(!(await harness.outboxEventIds()).includes(repeatEvent.eventId));
    });

    test("the same key from another user is a different order", async () => {
      const first = sampleOrder();
      await store.create(first, placed(first));
      const other = sampleOrder({ idempotencyKey: first.idempotencyKey });
      const result = await store.create(other, placed(other));
      assert.equal(result.created, true);
      assert.equal(result.order.id, other.id);
    });

    test("a second order from the same cart version is refused, writes nothing and names the first", async () => {
      const first = sampleOrder();
      await store.create(first, placed(first));
      const second = sampleOrder({ userId: first.userId, cartVersion: first.cartVersion });
      const secondEvent = placed(second);
      const result = await store.create(second, secondEvent);
      assert.equal(result.created, false);
      assert.equal(result.created === false && result.conflict, "cart-version");
      assert.equal(result.order.id, first.id);
      assert.equal(await store.get(second.id), undefined);
      assert.ok(!(await harness.outboxEventIds()).includes(secondEvent.eventId));
      const replay = await store.create(first, placed(first));
      assert.equal(replay.created === false && replay.conflict, "idempotency-key");
    });

    test("concurrent checkouts of one cart version with different keys produce exactly one order", async () => {
      const userId = `user-${randomUUID()}`;
      const attempts = Array.from({ length: 8 }, () => sampleOrder({ userId, cartVersion: "1700000000000" }));
      const results = await Promise.all(attempts.map((order) => store.create(order, placed(order))));
      const created = results.filter((r) => r.created);
      assert.equal(created.length, 1);
      for (const result of results.filter((r) => !r.created)) {
        assert.equal(result.created === false && result.conflict, "cart-version");
        assert.equal(result.order.id, created[0]?.order.id);
      }
    });

    test("retries of one request racing each other (same key, same cart version) are replays, never refusals", async () => {
      // The race is narrow (both inserts pass the key's check before either row exists): many rounds.
      for (let round = 0; round < 40; round++) {
        const userId = `user-${randomUUID()}`;
        const shared = { userId, idempotencyKey: randomUUID(), cartVersion: "1700000000001" };
        const attempts = Array.from({ length: 6 }, () => sampleOrder(shared));
        const results = await Promise.all(attempts.map((order) => store.create(order, placed(order))));
        const created = results.filter((r) => r.created);
        assert.equal(created.length, 1);
        for (const result of results.filter((r) => !r.created)) {
          assert.equal(result.created === false && result.conflict, "idempotency-key");
          assert.equal(result.order.id, created[0]?.order.id);
        }
      }
    });

    test("cart versions are per user, and a cancelled order releases its version", async () => {
      const first = sampleOrder();
      await store.create(first, placed(first));
      const otherUser = sampleOrder({ cartVersion: first.cartVersion });
      assert.equal((await store.create(otherUser, placed(otherUser))).created, true);

      const confirmed = await store.update(first.id, 1, { status: "CONFIRMED" });
      assert.ok(confirmed);
      const whileConfirmed = sampleOrder({ userId: first.userId, cartVersion: first.cartVersion });
      assert.equal((await store.create(whileConfirmed, placed(whileConfirmed))).created, false);

      assert.ok(await store.update(first.id, confirmed.version, { status: "CANCELLED" }));
      const afterCancel = sampleOrder({ userId: first.userId, cartVersion: first.cartVersion });
      const result = await store.create(afterCancel, placed(afterCancel));
      assert.equal(result.created, true);
      assert.equal(result.order.id, afterCancel.id);
    });

    test("concurrent creates with one key produce exactly one order", async () => {
      const userId = `user-${randomUUID()}`;
      const idempotencyKey = randomUUID();
      const attempts = Array.from({ length: 8 }, () => sampleOrder({ userId, idempotencyKey }));
      const results = await Promise.all(attempts.map((order) => store.create(order, placed(order))));
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.order.id)).size, 1);
      assert.equal((await store.listByUser(userId, { limit: 100 })).length, 1);
    });

    test("listByUser pages newest first and never shows other users' orders", async () => {
      const userId = `user-${randomUUID()}`;
      const mine = Array.from({ length: 5 }, () => sampleOrder({ userId }));
      const sameInstant = sampleOrder({ userId, createdAt: mine[4]?.createdAt ?? new Date() });
      for (const order of [...mine, sameInstant]) await store.create(order, placed(order));
      const stranger = sampleOrder();
      await store.create(stranger, placed(stranger));

      const expected = [...mine, sameInstant]
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
        .map((o) => o.id);
      const seen: string[] = [];
      let cursor: { createdAt: Date; id: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await store.listByUser(userId, { limit: 2, ...(cursor ? { after: cursor } : {}) });
        if (rows.length === 0) break;
        seen.push(...rows.map((r) => r.id));
        const last = rows.at(-1);
        cursor = last && { createdAt: last.createdAt, id: last.id };
      }
      assert.deepEqual(seen, expected);
    });

    test("update applies a change at the expected version and refuses a stale one", async () => {
      const order = sampleOrder();
      await store.create(order, placed(order));
      const updated = await store.update(order.id, 1, {
        paymentId: "pay-1",
        saga: { step: "COMMITTING", cardToken: "", attempts: 0 },
      });
      assert.ok(updated);
      assert.equal(updated.version, 2);
      assert.equal(updated.paymentId, "pay-1");
      assert.equal(updated.saga.step, "COMMITTING");
      assert.equal(updated.saga.cardToken, "");
      assert.equal(updated.saga.leaseOwner, order.saga.leaseOwner, "untouched saga fields are kept");
      assert.equal(updated.status, "PENDING");
      assert.equal(await store.update(order.id, 1, { status: "CANCELLED" }), undefined);
      assert.equal((await store.get(order.id))?.status, "PENDING");
      assert.equal(await store.update(randomUUID(), 1, { status: "CANCELLED" }), undefined);
    });

    test("of two concurrent updates at one version exactly one wins", async () => {
      const order = sampleOrder();
      await store.create(order, placed(order));
      const results = await Promise.all(
        ["worker-a", "worker-b", "worker-c"].map((owner) =>
          store.update(order.id, 1, { saga: { leaseOwner: owner } }),
        ),
      );
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      assert.equal((await store.get(order.id))?.saga.leaseOwner, winners[0]?.saga.leaseOwner);
    });

    test("an update's event is written with it, and not when the update loses", async () => {
      const order = sampleOrder();
      await store.create(order, placed(order));
      const cancelled = createEvent(OrderCancelledSchema, { orderId: order.id, reason: "test" });
      const done = await store.update(
        order.id,
        1,
        { status: "CANCELLED", statusReason: "test", saga: { step: "DONE" } },
        cancelled,
      );
      assert.equal(done?.status, "CANCELLED");
      const lost = createEvent(OrderCancelledSchema, { orderId: order.id, reason: "late" });
      assert.equal(await store.update(order.id, 1, { statusReason: "late" }, lost), undefined);
      const ids = await harness.outboxEventIds();
      assert.ok(ids.includes(cancelled.eventId));
      assert.ok(!ids.includes(lost.eventId));
    });

    test("findResumable lists unfinished sagas whose lease expired, and only those", async () => {
      const now = new Date(Date.parse("2031-06-01T00:00:00.000Z"));
      const expired = sampleOrder({
        saga: { ...sampleOrder().saga, step: "CHARGING", leaseExpiresAt: new Date(now.getTime() - 5000) },
      });
      const leased = sampleOrder({
        saga: { ...sampleOrder().saga, step: "CHARGING", leaseExpiresAt: new Date(now.getTime() + 5000) },
      });
      const finished = sampleOrder({
        saga: { ...sampleOrder().saga, step: "DONE", leaseExpiresAt: new Date(now.getTime() - 5000) },
      });
      for (const order of [expired, leased, finished]) await store.create(order, placed(order));
      const ids = (await store.findResumable(now, 1000)).map((o) => o.id);
      assert.ok(ids.includes(expired.id));
      assert.ok(!ids.includes(leased.id));
      assert.ok(!ids.includes(finished.id));
      const limited = await store.findResumable(now, 1);
      assert.equal(limited.length, 1);
    });
  });
}
