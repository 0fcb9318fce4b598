import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sampleOrder } from "../store/order-store.contract.js";
import type { OrderRecord, SagaStep } from "../store/order-store.js";
import { actionFor, customerCancel, nextTransition, type StepOutcome } from "./saga-transitions.js";

const policy = { maxStepAttempts: 3 };

function orderAt(step: SagaStep, extra: Partial<OrderRecord> = {}): OrderRecord {
  const base = sampleOrder();
  return {
    ...base,
    version: 4,
    updatedAt: base.createdAt,
    ...extra,
    saga: { ...base.saga, ...extra.saga, step },
  };
}

describe("checkout saga transitions", () => {
  test("the happy path walks RESERVING → CHARGING → COMMITTING → DONE and confirms once", () => {
    const reserved = nextTransition(orderAt("RESERVING"), { kind: "reserved" }, policy);
    assert.equal(reserved.change.saga?.step, "CHARGING");
    assert.equal(reserved.event, undefined);

    const charged = nextTransition(orderAt("CHARGING"), { kind: "captured", paymentId: "pay-9" }, policy);
    assert.equal(charged.change.saga?.step, "COMMITTING");
    assert.equal(charged.change.paymentId, "pay-9");
    assert.equal(charged.change.saga?.cardToken, "", "the card token is erased once charged");

    const committed = nextTransition(orderAt("COMMITTING"), { kind: "committed" }, policy);
    assert.equal(committed.change.status, "CONFIRMED");
    assert.equal(committed.change.saga?.step, "DONE");
    assert.equal(committed.event, "confirmed");
  });

  test("missing stock and a declined card compensate with a human-readable reason", () => {
    const noStock = nextTransition(orderAt("RESERVING"), { kind: "outOfStock", message: "p-1" }, policy);
    assert.equal(noStock.change.saga?.step, "COMPENSATING");
    assert.equal(noStock.change.saga?.failureReason, "insufficient stock");
    assert.equal(noStock.change.status, undefined, "the order stays PENDING until compensation is done");

    const declined = nextTransition(
      orderAt("CHARGING"),
      { kind: "declined", paymentId: "pay-1", reason: "card declined" },
      policy,
    );
    assert.equal(declined.change.saga?.step, "COMPENSATING");
    assert.equal(declined.change.saga?.failureReason, "payment declined: card declined");
    assert.equal(declined.change.saga?.cardToken, "");
  });

  test("finished compensation cancels with the failure reason and publishes OrderCancelled", () => {
    const order = orderAt("COMPENSATING", {
      saga: { ...sampleOrder().saga, failureReason: "insufficient stock" },
    });
    const done = nextTransition(order, { kind: "compensated" }, policy);
    assert.equal(done.change.status, "CANCELLED");
    assert.equal(done.change.statusReason, "insufficient stock");
    assert.equal(done.change.saga?.step, "DONE");
    assert.equal(done.event, "cancelled");
  });

  test("after a customer cancel, finished compensation keeps the reason and publishes nothing more", () => {
    const order = orderAt("COMPENSATING", { status: "CANCELLED", statusReason: "changed my mind" });
    const done = nextTransition(order, { kind: "compensated" }, policy);
    assert.equal(done.change.statusReason, "changed my mind");
    assert.equal(done.event, undefined);
  });

  test("a hanging forward step is retried, then times out into compensation", () => {
    const hang: StepOutcome = { kind: "unavailable", message: "deadline exceeded" };
    const first = nextTransition(orderAt("CHARGING"), hang, policy);
    assert.equal(first.retry, true);
    assert.equal(first.change.saga?.attempts, 1);
    assert.equal(first.change.saga?.step, undefined);

    const last = nextTransition(
      orderAt("CHARGING", { saga: { ...sampleOrder().saga, attempts: 2 } }),
      hang,
      policy,
    );
    assert.equal(last.retry, false);
    assert.equal(last.change.saga?.step, "COMPENSATING");
    assert.match(last.change.saga?.failureReason ?? "", /payment service did not answer/);
  });

  test("compensation never gives up: failures are retried however many there were", () => {
    const order = orderAt("COMPENSATING", { saga: { ...sampleOrder().saga, attempts: 50 } });
    for (const outcome of [
      { kind: "unavailable", message: "down" },
      { kind: "rejected", message: "odd" },
    ] as const) {
      const next = nextTransition(order, outcome, policy);
      assert.equal(next.retry, true);
      assert.equal(next.change.saga?.step, undefined);
      assert.equal(next.change.saga?.attempts, 51);
    }
  });

  test("a permanent refusal in a forward step compensates", () => {
    const next = nextTransition(
      orderAt("COMMITTING"),
      { kind: "rejected", message: "reservation released" },
      policy,
    );
    assert.equal(next.change.saga?.step, "COMPENSATING");
    assert.match(next.change.saga?.failureReason ?? "", /reservation released/);
  });

  test("an outcome from another step is a bug, and DONE has no action", () => {
    assert.throws(() => nextTransition(orderAt("RESERVING"), { kind: "committed" }, policy));
    assert.throws(() => nextTransition(orderAt("DONE"), { kind: "committed" }, policy));
    assert.equal(actionFor("DONE"), undefined);
    assert.equal(actionFor("CHARGING"), "charge");
  });

  test("customer cancel: allowed before the charge, refused once captured or confirmed", () => {
    for (const step of ["RESERVING", "CHARGING"] as const) {
      const decision = customerCancel(orderAt(step), "no longer needed");
      assert.equal(decision.kind, "cancel");
      if (decision.kind === "cancel") {
        assert.equal(decision.change.status, "CANCELLED");
        assert.equal(decision.change.statusReason, "no longer needed");
        assert.equal(decision.change.saga?.step, "COMPENSATING");
        assert.equal(decision.change.saga?.cardToken, "");
      }
    }
    assert.equal(customerCancel(orderAt("COMMITTING"), "x").kind, "refused");
    assert.equal(customerCancel(orderAt("DONE", { status: "CONFIRMED" }), "x").kind, "refused");
    assert.equal(customerCancel(orderAt("DONE", { status: "CANCELLED" }), "x").kind, "unchanged");
  });
});
