import { Code, ConnectError } from "@connectrpc/connect";
import type { Money } from "@shop/gen/shop/common/v1/money_pb";
import { codePointLength } from "@shop/platform/code-point-length";
import { findControlCharacter } from "@shop/platform/control-characters";
import { isCurrencyCode } from "@shop/platform/currency-codes";
import { canonicalUuid } from "@shop/platform/uuid";

export const maxNameChars = 200;
export const maxDescriptionChars = 5000;
export const maxQueryChars = 200;
export const defaultPageSize = 20;
export const maxPageSize = 100;

const maxNanos = 999_999_999;

/** An INVALID_ARGUMENT whose message starts with the offending field, as clients and the edge show it. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field} ${problem}`, Code.InvalidArgument);
}

/**
 * Refuses control characters in caller text. Why: they never belong in a name or a search term, and
 * U+0000 cannot even reach Postgres `text` (it would fail as an INTERNAL error). A description keeps
 * its tabs and line breaks (`multiline`).
 */
function rejectControlCharacters(field: string, text: string, options: { multiline?: boolean } = {}): void {
  const found = findControlCharacter(text, options);
  if (found !== undefined) {
    const allowed = options.multiline ? " other than tab and line breaks" : "";
    throw invalidArgument(field, `must not contain control characters${allowed} (found ${found})`);
  }
}

/**
 * Checks a product id and returns it in canonical lower case. Why: a malformed id is the caller's
 * mistake (INVALID_ARGUMENT), distinct from a well-formed id that names nothing (NOT_FOUND), and
 * passing it unchecked would make Postgres fail the uuid cast and surface as INTERNAL.
 */
export function validateId(field: string, id: string): string {
  if (id === "") throw invalidArgument(field, "is required");
  const canonical = canonicalUuid(id);
  if (canonical === undefined) throw invalidArgument(field, "must be a UUID such as 0b9f2c1e-…");
  return canonical;
}

/** Trims and checks a product name: required, 1 to 200 characters, no control characters. */
export function validateName(field: string, name: string): string {
  const trimmed = name.trim();
  if (trimmed === "") throw invalidArgument(field, "is required");
  if (codePointLength(trimmed) > maxNameChars) {
    throw invalidArgument(field, `must be at most ${maxNameChars} characters`);
  }
  rejectControlCharacters(field, trimmed);
  return trimmed;
}

/**
 * Trims and checks a description: optional, at most 5000 characters, no control characters but tab
 * and line breaks.
 */
export function validateDescription(field: string, description: string): string {
  const trimmed = description.trim();
  if (codePointLength(trimmed) > maxDescriptionChars) {
    throw invalidArgument(field, `must be at most ${maxDescriptionChars} characters`);
  }
  rejectControlCharacters(field, trimmed, { multiline: true });
  return trimmed;
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

/** Resolves `page_size`: 0 means the default, above the maximum is clamped, negative is an error. */
export function validatePageSize(pageSize: number): number {
  if (pageSize < 0) throw invalidArgument("page_size", "must not be negative");
  if (pageSize === 0) return defaultPageSize;
  return Math.min(pageSize, maxPageSize);
}

/**
 * Trims and checks the text query: at most 200 characters, no control characters; empty means
 * "everything".
 */
export function validateQuery(query: string): string {
  const trimmed = query.trim();
  if (codePointLength(trimmed) > maxQueryChars) {
    throw invalidArgument("query", `must be at most ${maxQueryChars} characters`);
  }
  rejectControlCharacters("query", trimmed);
  return trimmed;
}
