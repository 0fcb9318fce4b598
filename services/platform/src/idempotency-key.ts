import { invalidArgument } from "./invalid-argument.js";

/** Longest idempotency key a service accepts (a UUID is 36; the bound keeps stored keys small). */
export const maxIdempotencyKeyLength = 128;

/**
 * Printable ASCII, neither starting nor ending with a space. Why no edge spaces: HTTP trims both ends
 * of a header value, so `"k "` sent over gRPC and `Idempotency-Key: k ` sent over REST would otherwise
 * be two different keys for what the caller meant as one.
 */
const printableAscii = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** The field every request that carries a client-chosen retry key uses (the edge's `Idempotency-Key`). */
const field = "idempotency_key";

function checked(value: string): string {
  if (value.length > maxIdempotencyKeyLength) {
    throw invalidArgument(field, `must be at most ${maxIdempotencyKeyLength} characters`);
  }
  if (!printableAscii.test(value)) {
    throw invalidArgument(field, "must be printable ASCII, without a space at either end");
  }
  return value;
}

/**
 * A required `idempotency_key` (PlaceOrder): 1 to 128 printable ASCII characters, else
 * InvalidArgument naming the field (and, when it is missing, the REST header that fills it).
 *
 * Why one rule in the platform: the same key travels as the same `Idempotency-Key` header to every
 * service that takes one, so a client must not find it accepted by one route and refused by the next.
 */
export function requireIdempotencyKey(value: string): string {
  if (value === "") throw invalidArgument(field, "is required (over REST: the Idempotency-Key header)");
  return checked(value);
}

/**
 * An optional `idempotency_key` (AddItem, CreateProduct): undefined when empty, so a request without
 * one behaves as it did before keys existed; otherwise the same rule as {@link requireIdempotencyKey}.
 */
export function optionalIdempotencyKey(value: string): string | undefined {
  return value === "" ? undefined : checked(value);
}
