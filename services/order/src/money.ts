import { Code, ConnectError } from "@connectrpc/connect";
import type { MoneyValue } from "./store/order-store.js";

const nanosPerUnit = 1_000_000_000n;

/** google.type.Money's `units` is an int64; with nanos of the same sign this bounds every amount. */
const maxUnits = 2n ** 63n - 1n;
const minUnits = -(2n ** 63n);
const maxNanos = maxUnits * nanosPerUnit + (nanosPerUnit - 1n);
const minNanos = minUnits * nanosPerUnit - (nanosPerUnit - 1n);

function toNanos(money: MoneyValue): bigint {
  return money.units * nanosPerUnit + BigInt(money.nanos);
}

function fromNanos(currencyCode: string, total: bigint): MoneyValue {
  return { currencyCode, units: total / nanosPerUnit, nanos: Number(total % nanosPerUnit) };
}

/**
 * unit price × quantity summed over the lines, exactly (bigint nanos, never floats). Returns undefined
 * when the lines mix currencies, which PlaceOrder refuses. Why exact: the total is what gets charged.
 *
 * Throws FAILED_PRECONDITION when the total does not fit a Money (int64 units): the catalog accepts
 * any int64 unit price, so a cart of such products can add up to more than any order, event, payment
 * or database column can hold. Refusing here keeps that the cart's problem, not an INTERNAL error.
 */
export function orderTotal(
  lines: readonly { unitPrice: MoneyValue; quantity: number }[],
): MoneyValue | undefined {
  const [first] = lines;
  if (!first) return undefined;
  let total = 0n;
  for (const line of lines) {
    if (line.unitPrice.currencyCode !== first.unitPrice.currencyCode) return undefined;
    total += toNanos(line.unitPrice) * BigInt(line.quantity);
  }
  if (total > maxNanos || total < minNanos) {
    throw new ConnectError(
      `the order total exceeds the largest amount an order can hold (${maxUnits}.999999999 ${first.unitPrice.currencyCode}); order fewer items`,
      Code.FailedPrecondition,
    );
  }
  return fromNanos(first.unitPrice.currencyCode, total);
}
