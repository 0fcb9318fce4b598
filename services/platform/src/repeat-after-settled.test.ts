import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { repeatAfterSettled } from "./repeat-after-settled.js";

describe("repeatAfterSettled", () => {
  it("runs at once, then again after each run settles, never two runs at the same time", async () => {
    let running = 0;
    let overlapped = false;
    let runs = 0;
    const task = repeatAfterSettled(
      async () => {
        running++;
        if (running > 1) overlapped = true;
        runs++;
        await delay(15); // longer than the interval: a setInterval would overlap
        running--;
      },
      5,
      () => {},
    );
    assert.equal(runs, 1, "the first run starts synchronously");
    await delay(100);
    task.stop();
    assert.ok(runs >= 3, `expected at least 3 runs, got ${runs}`);
    assert.equal(overlapped, false);
  });

  it("hands a failed run to onError and keeps the schedule", async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = repeatAfterSettled(
      async () => {
        runs++;
        throw new Error(`run ${runs} failed`);
      },
      5,
      (error) => errors.push(error),
    );
    await delay(60);
    task.stop();
    assert.ok(runs >= 2, `expected the schedule to go on after a failure, got ${runs} runs`);
    assert.equal(errors.length, runs);
  });

  it("runs no more once stopped", async () => {
    let runs = 0;
    const task = repeatAfterSettled(
      async () => {
        runs++;
      },
      5,
      () => {},
    );
    await delay(20);
    task.stop();
    const afterStop = runs;
    await delay(40);
    assert.equal(runs, afterStop);
  });
});
