import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { createCallBreaker } from "./breaker.js";

const succeed = () => Promise.resolve("ok");
const failWith = (code: Code) => () => Promise.reject(new ConnectError("upstream said no", code));

describe("createCallBreaker", () => {
  it("keeps no window of call latencies, so a failure's threshold check has nothing to sort", async () => {
    const breaker = createCallBreaker("inventory", { volumeThreshold: 1_000_000 });
    try {
      for (let i = 0; i < 2000; i++) await breaker.fire(succeed);
      await assert.rejects(breaker.fire(failWith(Code.Unavailable)));
      const stats = breaker.stats;
      assert.equal(stats.fires, 2001);
      assert.equal(stats.failures, 1);
      // With opossum's default rolling percentiles this holds all 2,001 latencies, joined and sorted
      // again on every failure (about 3 ms per failure with 30,000 calls in the window).
      assert.deepEqual(stats.latencyTimes, []);
    } finally {
      breaker.shutdown();
    }
  });

  it("emits no periodic snapshots of its window", async () => {
    // A 10 ms bucket, so that a snapshot would be due five times while the test waits.
    const breaker = createCallBreaker("inventory", { rollingCountTimeout: 100, rollingCountBuckets: 10 });
    try {
      let snapshots = 0;
      breaker.status.on("snapshot", () => {
        snapshots += 1;
      });
      await sleep(55);
      assert.equal(snapshots, 0);
    } finally {
      breaker.shutdown();
    }
  });

  it("counts client faults as successes: the upstream answered correctly", async () => {
    const breaker = createCallBreaker("inventory");
    try {
      await assert.rejects(breaker.fire(failWith(Code.NotFound)));
      await assert.rejects(breaker.fire(failWith(Code.Internal)));
      assert.equal(breaker.stats.failures, 1);
    } finally {
      breaker.shutdown();
    }
  });
});
