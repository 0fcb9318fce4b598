import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createTestRedisPrefix, type TestRedisPrefix } from "@shop/platform/testing";
import { Redis } from "ioredis";
import { type CartStore, createCartStore } from "./store.js";

describe("cart store change times (the order service's cart version), on real Redis", () => {
  let redis: Redis;
  let prefix: TestRedisPrefix;
  let clockMs = 1_700_000_000_000;
  let store: CartStore;

  before(() => {
    redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    prefix = createTestRedisPrefix({ prefix: "cart-store" });
    store = createCartStore({
      redis,
      keyPrefix: prefix.prefix,
      ttlSeconds: 60,
      maxQuantityPerLine: 99,
      maxLines: 50,
      maxIdempotencyKeys: 100,
      now: () => clockMs,
    });
  });
  after(async () => {
    await prefix?.cleanup();
    redis?.disconnect();
  });

  async function changeTimes(changes: ReadonlyArray<(userId: string) => Promise<unknown>>) {
    const userId = randomUUID();
    const times: Array<number | undefined> = [];
    for (const change of changes) {
      await change(userId);
      times.push((await store.get(userId)).updatedMs);
    }
    return times;
  }

  test("changes within one millisecond still get strictly later change times", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const times = await changeTimes([
      (user) => store.add(user, a, 1),
      (user) => store.add(user, b, 1),
      (user) => store.add(user, a, 2),
      (user) => store.remove(user, b),
    ]);
    assert.deepEqual(times, [clockMs, clockMs + 1, clockMs + 2, clockMs + 3]);
  });

  test("a clock that steps back does not take the change time back", async () => {
    const userId = randomUUID();
    await store.add(userId, randomUUID(), 1);
    const first = (await store.get(userId)).updatedMs ?? 0;
    clockMs -= 60_000;
    await store.add(userId, randomUUID(), 1);
    assert.equal((await store.get(userId)).updatedMs, first + 1);
  });

  test("a refused change and removing an absent product leave the change time alone", async () => {
    const product = randomUUID();
    const times = await changeTimes([
      (user) => store.add(user, product, 99),
      (user) => store.add(user, product, 1),
      (user) => store.remove(user, randomUUID()),
    ]);
    assert.equal(new Set(times).size, 1);
  });
});

describe("cart store idempotency keys, on real Redis", () => {
  let redis: Redis;
  let prefix: TestRedisPrefix;
  let store: CartStore;
  const maxIdempotencyKeys = 3;

  before(() => {
    redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    prefix = createTestRedisPrefix({ prefix: "cart-store-keys" });
    store = createCartStore({
      redis,
      keyPrefix: prefix.prefix,
      ttlSeconds: 60,
      maxQuantityPerLine: 99,
      maxLines: 50,
      maxIdempotencyKeys,
    });
  });
  after(async () => {
    await prefix?.cleanup();
    redis?.disconnect();
  });

  test("a key applies its add once; a repeat or another add under it changes nothing", async () => {
    const [userId, a, b] = [randomUUID(), randomUUID(), randomUUID()];
    assert.equal((await store.add(userId, a, 2, "k")).kind, "added");
    assert.equal((await store.add(userId, a, 2, "k")).kind, "repeat");
    const reused = await store.add(userId, b, 1, "k");
    assert.equal(reused.kind, "key-reused");
    assert.deepEqual(reused.kind === "key-reused" && reused.first, { productId: a, quantity: 2 });
    assert.deepEqual((await store.get(userId)).items, [{ productId: a, quantity: 2 }]);
  });

  test("only the most recently recorded keys are remembered, so a cart's keys stay bounded", async () => {
    const [userId, a] = [randomUUID(), randomUUID()];
    for (const key of ["k1", "k2", "k3", "k4"]) await store.add(userId, a, 1, key);
    const base = `${prefix.prefix}cart:{${userId}}`;
    assert.deepEqual((await redis.hkeys(`${base}:added`)).sort(), ["k2", "k3", "k4"]);
    assert.deepEqual(await redis.zrange(`${base}:added:order`, 0, -1), ["k2", "k3", "k4"]);
    assert.equal((await store.add(userId, a, 1, "k2")).kind, "repeat", "a recent key is still known");
    assert.equal((await store.add(userId, a, 1, "k1")).kind, "added", "the oldest key was forgotten");
    assert.deepEqual((await store.get(userId)).items, [{ productId: a, quantity: 5 }]);
    assert.deepEqual(await redis.zrange(`${base}:added:order`, 0, -1), ["k3", "k4", "k1"]);
  });
});
