import type { Money } from "@shop/gen/shop/common/v1/money_pb";

/** How much of an order id a message shows: enough to recognise it, short enough to read. */
const shortIdLength = 8;
/** A cancellation reason is the order's free-text status_reason; keep messages bounded. */
const maxReasonLength = 300;

/**
 * The order id as shown to people: its first eight characters (a UUID's first group), or all of it
 * when shorter. Why: a full UUID in a sentence is noise; the prefix is what a support agent searches.
 */
export function shortOrderId(orderId: string): string {
  return orderId.slice(0, shortIdLength);
}

/** Decimal places a currency is written with (2 for USD, 0 for JPY), from ICU; 2 for unknown codes. */
function fractionDigits(currencyCode: string): number {
  try {
    return (
      new Intl.NumberFormat("en", { style: "currency", currency: currencyCode }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/**
 * Writes an amount as "USD 64.50": currency code, then the amount with the currency's usual number of
 * decimals, computed from units and nanos in integer arithmetic (never through a float, so 0.1 + 0.2
 * problems cannot appear in front of a customer). Extra precision is truncated, not rounded: the
 * customer is never shown more than was charged.
 */
export function formatMoney(money: Pick<Money, "currencyCode" | "units" | "nanos">): string {
  const digits = fractionDigits(money.currencyCode);
  const negative = money.units < 0n || money.nanos < 0;
  const units = money.units < 0n ? -money.units : money.units;
  const nanos = Math.abs(money.nanos);
  const fraction = String(nanos).padStart(9, "0").slice(0, digits);
  const amount = digits > 0 ? `${units}.${fraction}` : `${units}`;
  return `${money.currencyCode} ${negative ? "-" : ""}${amount}`;
}

/** The text of an ORDER_CONFIRMED notification; the total is included when the event carries one. */
export function orderConfirmedMessage(orderId: string, total: Money | undefined): string {
  const subject = `Your order ${shortOrderId(orderId)} is confirmed`;
  return total && total.currencyCode !== "" ? `${subject}: total ${formatMoney(total)}.` : `${subject}.`;
}

/**
 * The text of an ORDER_CANCELLED notification. The reason is one line (whitespace collapsed), bounded
 * in length, and left out when empty.
 */
export function orderCancelledMessage(orderId: string, reason: string): string {
  const subject = `Your order ${shortOrderId(orderId)} was cancelled`;
  const flat = reason.replace(/\s+/g, " ").trim();
  if (flat === "") return `${subject}.`;
  const bounded = flat.length > maxReasonLength ? `${flat.slice(0, maxReasonLength - 1)}…` : flat;
  return `${subject}: ${bounded}`;
}
