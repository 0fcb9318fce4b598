import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Redis } from "ioredis";
import { createTestRedisPrefix } from "./redis.js";

describe("createTestRedisPrefix", () => {
  it("cleans up exactly the keys under its own prefix", async () => {
    const mine = createTestRedisPrefix({ prefix: "cart" });
    const theirs = createTestRedisPrefix({ prefix: "cart" });
    assert.notEqual(mine.prefix, theirs.prefix);
    assert.ok(mine.prefix.endsWith(":"));

    const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    try {
      for (let i = 0; i < 1200; i++) await redis.set(`${mine.prefix}cart:${i}`, "x", "EX", 60);
      await redis.hset(`${mine.prefix}hash`, "a", "1");
      await redis.set(`${theirs.prefix}cart:1`, "y", "EX", 60);

      assert.equal(await mine.cleanup(), 1201);
      assert.equal(
        await redis.exists(`${mine.prefix}cart:0`, `${mine.prefix}cart:1199`, `${mine.prefix}hash`),
        0,
      );
      assert.equal(await redis.get(`${theirs.prefix}cart:1`), "y", "other runs' keys survive");
      assert.equal(await theirs.cleanup(), 1);
    } finally {
      redis.disconnect();
    }
  });
});
