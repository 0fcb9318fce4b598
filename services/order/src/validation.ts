import type { Address } from "@shop/gen/shop/common/v1/address_pb";
import { invalidArgument } from "@shop/platform/invalid-argument";
import { optionalText, requiredText } from "@shop/platform/text-fields";
import { looksLikeCardNumber } from "./card-number.js";
import type { ShippingAddress } from "./store/order-store.js";

/**
 * A card token must be present and must not be a raw card number; beyond that its validity is the
 * payment provider's call. Why refuse card numbers here: the proto promises they are never accepted,
 * stored or logged, and this check runs before the order is stored or the token sent to payment. The
 * message never repeats the value.
 */
export function requireCardToken(value: string | undefined): string {
  const token = requiredText("payment.card_token", value ?? "", { maxLength: 256 });
  if (looksLikeCardNumber(token)) {
    throw invalidArgument(
      "payment.card_token",
      "looks like a card number, which is never accepted; send the token your payment provider's client-side tokenization returned instead",
    );
  }
  return token;
}

/** Validates and trims a shipping address by the rules written in common/v1/address.proto. */
export function requireAddress(address: Address | undefined): ShippingAddress {
  if (!address) throw invalidArgument("shipping_address", "is required");
  const country = address.country.trim();
  if (!/^[A-Z]{2}$/.test(country)) {
    throw invalidArgument("shipping_address.country", "must be an ISO 3166-1 alpha-2 code such as US or DE");
  }
  const line = (field: string, value: string, required: boolean, maxLength: number) =>
    (required ? requiredText : optionalText)(`shipping_address.${field}`, value, { maxLength });
  return {
    name: line("name", address.name, true, 100),
    line1: line("line1", address.line1, true, 200),
    line2: line("line2", address.line2, false, 200),
    city: line("city", address.city, true, 100),
    region: line("region", address.region, false, 100),
    postalCode: line("postal_code", address.postalCode, false, 20),
    country,
  };
}

/**
 * The customer's reason for CancelOrder, trimmed: optional, at most 500 characters, no control
 * characters; empty becomes "cancelled by customer". It becomes the order's status_reason and the
 * OrderCancelled event's reason.
 */
export function requireCancelReason(value: string): string {
  return optionalText("reason", value, { maxLength: 500 }) || "cancelled by customer";
}
