import type { Money } from "@shop/gen/shop/common/v1/money_pb";
import { isCurrencyCode } from "@shop/platform/currency-codes";

const maxNanos = 999_999_999;

/**
 * Why a charge amount is unacceptable, or undefined when it is a positive, well-formed Money.
 * Why here: a zero, negative or malformed amount must be refused before the provider sees it, and so
 * must a currency ISO 4217 does not know ("XYZ"), which no one could settle.
 */
export function chargeAmountProblem(amount: Money | undefined): string | undefined {
  if (!amount) return "amount is required";
  if (!isCurrencyCode(amount.currencyCode)) {
    return "amount.currency_code must be an ISO 4217 currency code in upper case, such as USD";
  }
  if (!Number.isInteger(amount.nanos) || amount.nanos < -maxNanos || amount.nanos > maxNanos) {
    return "amount.nanos must be between -999999999 and 999999999";
  }
  if ((amount.units > 0n && amount.nanos < 0) || (amount.units < 0n && amount.nanos > 0)) {
    return "amount.units and amount.nanos must have the same sign";
  }
  if (amount.units < 0n || (amount.units === 0n && amount.nanos <= 0)) return "amount must be positive";
  return undefined;
}

/** Exact equality of two amounts, currency included; Money is compared field by field, never as floats. */
export function sameMoney(a: Money, b: Money): boolean {
  return a.currencyCode === b.currencyCode && a.units === b.units && a.nanos === b.nanos;
}
