import { Code, ConnectError } from "@connectrpc/connect";
import { codePointLength } from "@shop/platform/code-point-length";
import { findControlCharacter } from "@shop/platform/control-characters";
import { canonicalUuid } from "@shop/platform/uuid";

/** An InvalidArgument naming the offending field, the error every bad input gets. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

/** Requires a UUID-shaped id in `field`, so malformed ids are refused before reaching SQL. */
export function requireUuid(field: string, value: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  const canonical = canonicalUuid(value);
  if (canonical === undefined) throw invalidArgument(field, "must be a UUID");
  return canonical;
}

/**
 * Requires a non-empty string of at most `max` characters (code points, as the caller counts them,
 * not UTF-16 units) with no control characters. Why refuse control characters: none belongs in an id
 * or a card token, and U+0000 cannot be stored in Postgres `text` at all.
 */
export function requireText(field: string, value: string, max: number): string {
  if (value.trim() === "") throw invalidArgument(field, "is required");
  if (codePointLength(value) > max) throw invalidArgument(field, `must be at most ${max} characters`);
  const control = findControlCharacter(value);
  if (control !== undefined) {
    throw invalidArgument(field, `must not contain control characters (found ${control})`);
  }
  return value;
}
