import assert from "node:assert/strict";
import { test } from "node:test";
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
