import { Code, ConnectError } from "@connectrpc/connect";
import type { Address } from "@shop/gen/shop/common/v1/address_pb";
import { looksLikeCardNumber } from "./card-number.js";
import type { ShippingAddress } from "./store/order-store.js";

/** An InvalidArgument naming the offending field, the error every bad input gets. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

const printableAscii = /^[\x21-\x7e][\x20-\x7e]*$/;

/** The idempotency key rule of the proto: 1 to 128 printable ASCII characters. */
export function requireIdempotencyKey(value: string): string {
  if (value === "")
    throw invalidArgument("idempotency_key", "is required (over REST: the Idempotency-Key header)");
  if (value.length > 128) throw invalidArgument("idempotency_key", "must be at most 128 characters");
  if (!printableAscii.test(value)) throw invalidArgument("idempotency_key", "must be printable ASCII");
  return value;
}

/**
 * A card token must be present and must not be a raw card number; beyond that its validity is the
 * payment provider's call. Why refuse card numbers here: the proto promises they are never accepted,
 * stored or logged, and this check runs before the order is stored or the token sent to payment. The
 * message never repeats the value.
 */
export function requireCardToken(token: string | undefined): string {
  if (token === undefined || token.trim() === "") throw invalidArgument("payment.card_token", "is required");
  if (token.length > 256) throw invalidArgument("payment.card_token", "must be at most 256 characters");
  if (looksLikeCardNumber(token)) {
    throw invalidArgument(
      "payment.card_token",
      "looks like a card number, which is never accepted; send the token your payment provider's client-side tokenization returned instead",
    );
  }
  return token;
}

function text(field: string, value: string, min: number, max: number): string {
  const trimmed = value.trim();
  const length = [...trimmed].length;
  if (min > 0 && length === 0) throw invalidArgument(`shipping_address.${field}`, "is required");
  if (length > max) throw invalidArgument(`shipping_address.${field}`, `must be at most ${max} characters`);
  return trimmed;
}

/** Validates and trims a shipping address by the rules written in common/v1/address.proto. */
export function requireAddress(address: Address | undefined): ShippingAddress {
  if (!address) throw invalidArgument("shipping_address", "is required");
  const country = address.country.trim();
  if (!/^[A-Z]{2}$/.test(country)) {
    throw invalidArgument("shipping_address.country", "must be an ISO 3166-1 alpha-2 code such as US or DE");
  }
  return {
    name: text("name", address.name, 1, 100),
    line1: text("line1", address.line1, 1, 200),
    line2: text("line2", address.line2, 0, 200),
    city: text("city", address.city, 1, 100),
    region: text("region", address.region, 0, 100),
    postalCode: text("postal_code", address.postalCode, 0, 20),
    country,
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID; order ids are UUIDs, anything else cannot name an order. */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}
