import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger } from "@shop/platform/log";
import { createTestRedisPrefix, type TestRedisPrefix } from "@shop/platform/testing";
import { Redis } from "ioredis";
import { createRateLimiter, type RateLimiter } from "./token-bucket.js";

const logger = createLogger({ service: "rate-limit-test", level: "silent" });
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** How many times Redis has run a script (EVALSHA / EVAL) so far, from INFO commandstats. */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}

describe("rate limiter on Redis (token bucket, leased)", () => {
  let redis: Redis;
  let prefix: TestRedisPrefix;
  const limiters: RateLimiter[] = [];
  const limiter = (capacity: number, refillPerSecond: number) => {
    const created = createRateLimiter({ redis, keyPrefix: prefix.prefix, capacity, refillPerSecond, logger });
    limiters.push(created);
    return created;
  };

  before(async () => {
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    prefix = createTestRedisPrefix({ prefix: "rate-limit" });
  });

  after(async () => {
    for (const created of limiters) created.close();
    redis.disconnect();
    await prefix.cleanup();
  });

  it("admits exactly the bucket's capacity from a burst, then refuses with a retry-after", async () => {
    const limit = limiter(50, 0.01);
    const decisions = await Promise.all(Array.from({ length: 80 }, () => limit.take("burst")));
    assert.equal(decisions.filter((d) => d.allowed).length, 50);
    const refused = decisions.filter((d) => !d.allowed);
    assert.equal(refused.length, 30);
    for (const decision of refused) assert.ok(decision.retryAfterSeconds >= 1);
  });

  it("never admits more than the bucket across replicas that lease from it", async () => {
    const replicas = [limiter(100, 0.01), limiter(100, 0.01), limiter(100, 0.01)];
    let allowed = 0;
    for (let i = 0; i < 200; i++) {
      const decision = await (replicas[i % 3] as RateLimiter).take("shared");
      if (decision.allowed) allowed += 1;
    }
    assert.equal(allowed, 100);
  });

  it("asks Redis once per lease, not once per request, for a client that keeps sending", async () => {
    const limit = limiter(10_000, 10_000);
    const before = await scriptCalls(redis);
    for (let i = 0; i < 300; i++) assert.equal((await limit.take("steady")).allowed, true);
    const calls = (await scriptCalls(redis)) - before;
    assert.ok(calls < 30, `${calls} bucket requests for 300 requests`);
  });

  it("grows the lease under concurrency: requests that find it empty wait for the grant under way", async () => {
    const limit = limiter(10_000, 10_000);
    const before = await scriptCalls(redis);
    // 32 connections of one client, each sending its next request when the last is answered.
    const connection = async () => {
      for (let i = 0; i < 10; i++) assert.equal((await limit.take("concurrent")).allowed, true);
    };
    await Promise.all(Array.from({ length: 32 }, connection));
    const calls = (await scriptCalls(redis)) - before;
    assert.ok(calls < 40, `${calls} bucket requests for 320 requests on 32 connections`);
  });

  it("takes single tokens for a client that sends now and then, so none are held back unspent", async () => {
    const limit = limiter(100, 0.001);
    for (let i = 0; i < 3; i++) {
      assert.equal((await limit.take("slow")).allowed, true);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // past the lease's lifetime
    }
    const tokens = Number(await redis.hget(`${prefix.prefix}slow`, "tokens"));
    assert.ok(tokens > 96.9 && tokens < 97.1, `the bucket holds ${tokens} tokens after 3 requests`);
  });

  it("answers takeNow from a lease this replica holds, and never beyond the bucket", async () => {
    const limit = limiter(20, 0.01);
    assert.equal(limit.takeNow("leased"), undefined, "no lease before the first take");
    let allowed = 0;
    let immediate = 0;
    for (let i = 0; i < 40; i++) {
      const now = limit.takeNow("leased");
      if (now) immediate += 1;
      const decision = now ?? (await limit.take("leased"));
      if (decision.allowed) allowed += 1;
    }
    assert.equal(allowed, 20);
    assert.ok(immediate > 0, "a steady client is answered from its lease");
    assert.equal(limit.takeNow("leased"), undefined, "an empty bucket leases nothing");
  });

  it("keeps separate buckets per key", async () => {
    const limit = limiter(1, 0.01);
    assert.equal((await limit.take("a")).allowed, true);
    assert.equal((await limit.take("a")).allowed, false);
    assert.equal((await limit.take("b")).allowed, true);
  });
});
