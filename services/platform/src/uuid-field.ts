import { invalidArgument } from "./invalid-argument.js";
import { canonicalUuid } from "./uuid.js";

/**
 * A required UUID field (a product id, an order id used as a key), returned in canonical lower case;
 * throws InvalidArgument naming `field` when it is empty or not a UUID.
 *
 * Why InvalidArgument and not NotFound: a malformed id is the caller's mistake, distinct from a
 * well-formed id that names nothing; passed on unchecked it would fail Postgres's uuid cast and reach
 * the caller as Internal. Why the canonical form: ids are stored in lower case, and an upper-case id
 * must find the same row. The message shows what a UUID looks like, since a REST caller may have sent
 * a slug or a name.
 */
export function requireUuid(field: string, value: string): string {
  if (value === "") throw invalidArgument(field, "is required");
  const canonical = canonicalUuid(value);
  if (canonical === undefined) {
    throw invalidArgument(field, "must be a UUID such as 0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d");
  }
  return canonical;
}
