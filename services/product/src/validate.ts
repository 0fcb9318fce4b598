import type { Money } from "@shop/gen/shop/common/v1/money_pb";
import { isCurrencyCode } from "@shop/platform/currency-codes";
import { invalidArgument } from "@shop/platform/invalid-argument";
import { optionalText, requiredText } from "@shop/platform/text-fields";

export const maxNameChars = 200;
export const maxDescriptionChars = 5000;
export const maxQueryChars = 200;

const maxNanos = 999_999_999;

/** Trims and checks a product name: required, 1 to 200 characters, no control characters. */
export function validateName(field: string, name: string): string {
  return requiredText(field, name, { maxLength: maxNameChars });
}

/**
 * Trims and checks a description: optional, at most 5000 characters, no control characters but tab
 * and line breaks.
 */
export function validateDescription(field: string, description: string): string {
  return optionalText(field, description, { maxLength: maxDescriptionChars, multiline: true });
}

/**
 * Checks a catalog price: present, an upper-case ISO 4217 code the runtime knows (not merely three
 * letters: "XYZ" is refused), nanos within ±999999999 with the same sign as units, and not negative
 * overall. Why so strict: the price is copied into orders and
 * payments, and a malformed Money would corrupt totals far from where it entered.
 */
export function validatePrice(
  field: string,
  price: Money | undefined,
): { currencyCode: string; units: bigint; nanos: number } {
  if (!price) throw invalidArgument(field, "is required");
  const { currencyCode, units, nanos } = price;
  if (!isCurrencyCode(currencyCode)) {
    throw invalidArgument(
      `${field}.currency_code`,
      "must be an ISO 4217 currency code in upper case, such as USD",
    );
  }
  if (nanos < -maxNanos || nanos > maxNanos) {
    throw invalidArgument(`${field}.nanos`, `must be between -${maxNanos} and ${maxNanos}`);
  }
  if (units < 0n) throw invalidArgument(`${field}.units`, "must be zero or positive");
  if (units > 0n && nanos < 0) throw invalidArgument(`${field}.nanos`, "must have the same sign as units");
  if (nanos < 0) throw invalidArgument(`${field}.nanos`, "must be zero or positive");
  return { currencyCode, units, nanos };
}

/**
 * Trims and checks the text query: at most 200 characters, no control characters; empty means
 * "everything".
 */
export function validateQuery(query: string): string {
  return optionalText("query", query, { maxLength: maxQueryChars });
}
