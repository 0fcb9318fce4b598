import { Code, ConnectError } from "@connectrpc/connect";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID string; ids of orders and payments are UUIDs. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** An InvalidArgument naming the offending field, the error every bad input gets. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

/** Requires a UUID-shaped id in `field`, so malformed ids are refused before reaching SQL. */
export function requireUuid(field: string, value: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  if (!isUuid(value)) throw invalidArgument(field, "must be a UUID");
  return value.toLowerCase();
}

/** Requires a non-empty string of at most `max` characters. */
export function requireText(field: string, value: string, max: number): string {
  if (value.trim() === "") throw invalidArgument(field, "is required");
  if (value.length > max) throw invalidArgument(field, `must be at most ${max} characters`);
  return value;
}
