import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { orderTotal } from "./money.js";

const eur = (units: bigint, nanos: number) => ({ currencyCode: "EUR", units, nanos });

test("the total is exact across nanos carries and large amounts", () => {
  assert.deepEqual(
    orderTotal([
      { unitPrice: eur(1n, 600_000_000), quantity: 3 },
      { unitPrice: eur(9_007_199_254_740_993n, 0), quantity: 2 },
    ]),
    eur(18_014_398_509_481_990n, 800_000_000),
  );
});

test("mixed currencies and empty carts have no total", () => {
  assert.equal(
    orderTotal([
      { unitPrice: eur(1n, 0), quantity: 1 },
      { unitPrice: { currencyCode: "USD", units: 1n, nanos: 0 }, quantity: 1 },
    ]),
    undefined,
  );
  assert.equal(orderTotal([]), undefined);
});

test("a total beyond Money's int64 units is FAILED_PRECONDITION; the largest Money is a total", () => {
  const largest = eur(9_223_372_036_854_775_807n, 999_999_999);
  assert.deepEqual(orderTotal([{ unitPrice: largest, quantity: 1 }]), largest);
  assert.deepEqual(
    orderTotal([
      { unitPrice: eur(9_223_372_036_854_775_806n, 999_999_999), quantity: 1 },
      { unitPrice: eur(1n, 0), quantity: 1 },
    ]),
    largest,
  );
  const beyond = [
    [{ unitPrice: largest, quantity: 2 }],
    [
      { unitPrice: largest, quantity: 1 },
      { unitPrice: eur(0n, 1), quantity: 1 },
    ],
  ];
  for (const lines of beyond) {
    assert.throws(
      () => orderTotal(lines),
      (error: unknown) =>
        error instanceof ConnectError &&
        error.code === Code.FailedPrecondition &&
        /exceeds the largest amount/.test(error.rawMessage),
    );
  }
});
