import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { rejectionCode } from "@shop/platform/testing";
import type { CardProvider, ChargeAttempt } from "./card-provider.js";
import { chargeBefore } from "./charge-deadline.js";

const attempt = {
  idempotencyKey: "0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d",
  cardToken: "tok_visa",
  amount: create(MoneySchema, { currencyCode: "USD", units: 5n, nanos: 0 }),
};

/** A provider that records the calls it gets and answers with `answer`. */
function recording(answer: (call: ChargeAttempt) => Promise<{ approved: true }>) {
  const calls: ChargeAttempt[] = [];
  const provider: CardProvider = {
    charge(call) {
      calls.push(call);
      return answer(call);
    },
    refund: () => Promise.reject(new Error("no refunds expected")),
  };
  return { provider, calls };
}

describe("chargeBefore", () => {
  test("returns the provider's answer given before the deadline", async () => {
    const { provider, calls } = recording(async () => ({ approved: true }));
    assert.deepEqual(await chargeBefore(provider, attempt, Date.now() + 60_000), { approved: true });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.signal.aborted, false);
  });

  test("does not ask the provider once the deadline has passed (a process that stalled after recording the attempt)", async () => {
    const { provider, calls } = recording(async () => ({ approved: true }));
    const now = () => 1_000_000;
    assert.equal(
      await rejectionCode(chargeBefore(provider, attempt, 1_000_000, undefined, now)),
      Code.Unavailable,
    );
    assert.equal(
      await rejectionCode(chargeBefore(provider, attempt, 999_999, undefined, now)),
      Code.Unavailable,
    );
    assert.deepEqual(calls, []);
  });

  test("stops waiting at the deadline: UNAVAILABLE, and the call's signal is aborted", async () => {
    const { provider, calls } = recording(() => new Promise<never>(() => {}));
    assert.equal(await rejectionCode(chargeBefore(provider, attempt, Date.now() + 20)), Code.Unavailable);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.signal.aborted, true, "a real client cancels its request with it");
  });

  test("stops waiting when the caller's signal aborts (its deadline passed, or it cancelled): the call's signal is aborted at once", async () => {
    const { provider, calls } = recording(() => new Promise<never>(() => {}));
    const caller = new AbortController();
    const started = Date.now();
    const charge = rejectionCode(chargeBefore(provider, attempt, Date.now() + 60_000, caller.signal));
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.signal.aborted, false);
    caller.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    assert.equal(calls[0]?.signal.aborted, true, "aborted with the caller's signal");
    assert.equal(await charge, Code.DeadlineExceeded);
    assert.ok(Date.now() - started < 5000, "not held until the charge's own deadline");
  });

  test("does not ask the provider when the caller's signal has already aborted", async () => {
    const { provider, calls } = recording(async () => ({ approved: true }));
    const caller = new AbortController();
    caller.abort();
    assert.equal(
      await rejectionCode(chargeBefore(provider, attempt, Date.now() + 60_000, caller.signal)),
      Code.Canceled,
    );
    assert.deepEqual(calls, []);
  });
});
