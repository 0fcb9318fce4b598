import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { backoffDelayMs, isRetryable, withRetry } from "./retry.js";
import { EchoService } from "./testing/echo-service.js";

const { read, put, write, watch } = EchoService.method;
const error = (code: Code) => new ConnectError("x", code);

describe("isRetryable", () => {
  it("retries only idempotent unary methods on Unavailable or Aborted", () => {
    assert.equal(isRetryable(read, error(Code.Unavailable)), true);
    assert.equal(isRetryable(put, error(Code.Unavailable)), true);
    assert.equal(isRetryable(read, error(Code.Aborted)), true);
    assert.equal(isRetryable(write, error(Code.Unavailable)), false, "side effects");
    assert.equal(isRetryable(watch, error(Code.Unavailable)), false, "streams cannot be replayed");
    for (const code of [
      Code.DeadlineExceeded,
      Code.ResourceExhausted,
      Code.NotFound,
      Code.InvalidArgument,
      Code.Internal,
      Code.Canceled,
    ]) {
      assert.equal(isRetryable(read, error(code)), false, Code[code]);
    }
    assert.equal(isRetryable(read, new Error("plain")), false, "unknown errors are not retried");
  });
});

describe("backoffDelayMs", () => {
  const policy = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 50 };

  it("grows exponentially up to the cap, with full jitter below it", () => {
    const top = () => 0.999999;
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy, top)),
      [9, 19, 39, 49, 49],
    );
    assert.equal(
      backoffDelayMs(3, policy, () => 0),
      0,
    );
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelayMs(2, policy);
      assert.ok(delay >= 0 && delay < 20);
    }
  });
});

describe("withRetry", () => {
  it("passes the attempt number and a shrinking remaining budget", async () => {
    const seen: Array<[number, number]> = [];
    const result = await withRetry(
      async (attempt, remainingMs) => {
        seen.push([attempt, remainingMs]);
        if (attempt < 3) throw error(Code.Unavailable);
        return "done";
      },
      {
        method: read,
        policy: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10 },
        deadline: Date.now() + 1000,
      },
    );
    assert.equal(result, "done");
    assert.deepEqual(
      seen.map(([attempt]) => attempt),
      [1, 2, 3],
    );
    assert.ok(seen.every(([, remaining]) => remaining > 0 && remaining <= 1000));
  });

  it("rethrows the last error once attempts run out", async () => {
    let attempts = 0;
    await assert.rejects(
      withRetry(
        async () => {
          attempts++;
          throw error(Code.Unavailable);
        },
        {
          method: read,
          policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
          deadline: Date.now() + 1000,
        },
      ),
      (e: unknown) => ConnectError.from(e).code === Code.Unavailable,
    );
    assert.equal(attempts, 2);
  });

  it("stops waiting when the caller cancels", async () => {
    const controller = new AbortController();
    const pending = withRetry(
      async () => {
        throw error(Code.Unavailable);
      },
      {
        method: read,
        policy: { maxAttempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000 },
        deadline: Date.now() + 60_000,
        signal: controller.signal,
        random: () => 0.9,
      },
    );
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(pending, (e: unknown) => ConnectError.from(e).code === Code.Canceled);
  });
});
