import type { MoneyValue } from "./store/order-store.js";

const nanosPerUnit = 1_000_000_000n;

function toNanos(money: MoneyValue): bigint {
  return money.units * nanosPerUnit + BigInt(money.nanos);
}

function fromNanos(currencyCode: string, total: bigint): MoneyValue {
  return { currencyCode, units: total / nanosPerUnit, nanos: Number(total % nanosPerUnit) };
}

/**
 * unit price × quantity summed over the lines, exactly (bigint nanos, never floats). Returns undefined
 * when the lines mix currencies, which PlaceOrder refuses. Why exact: the total is what gets charged.
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
  return fromNanos(first.unitPrice.currencyCode, total);
}
