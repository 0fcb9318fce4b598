import { invalidArgument } from "@shop/platform/invalid-argument";
import { requiredText } from "@shop/platform/text-fields";
import { requireUuid } from "@shop/platform/uuid-field";
import { requireWholeNumber } from "@shop/platform/whole-number-field";
import type { ReservedItem } from "./store.js";

/** Limits of the API; also documented in the README. */
export const limits = {
  maxIdLength: 128,
  maxAvailable: 1_000_000,
  maxItemQuantity: 1000,
  maxItemsPerReservation: 100,
} as const;

/**
 * Checks a caller-chosen id (reservation id, order id): required, at most 128 characters (code points,
 * as every limit counts them: an emoji is one), no surrounding whitespace or control characters.
 * Why whitespace is refused here, where caller text is trimmed: these ids become primary keys, and
 * an id with a trailing space would silently be a different reservation.
 */
export function requireId(field: string, value: string): string {
  if (value.trim() !== value) throw invalidArgument(field, "must not begin or end with whitespace");
  return requiredText(field, value, { maxLength: limits.maxIdLength });
}

/**
 * Checks a product id: required, a UUID (the catalog's ids, shop.product.v1.Product.id), returned in
 * lower case. Why on every RPC: the product service refuses anything else as INVALID_ARGUMENT, so
 * GetStock answering "zero in stock" for `xyz` while SetStock said NOT_FOUND told callers two
 * different stories; and stock is keyed by the catalog's lower-case id, which an upper-case id must
 * find too.
 */
export function requireProductId(field: string, value: string): string {
  return requireUuid(field, value);
}

/** SetStock's count: 0 to 1,000,000 as the contract says. */
export function requireAvailable(value: number): number {
  return requireWholeNumber("available", value, { min: 0, max: limits.maxAvailable });
}

/**
 * ReserveStock's items: at least one, at most 100, quantities 1 to 1000, product ids UUIDs and unique
 * (after lower-casing).
 * Duplicate product ids are rejected, not merged: the contract says ids are unique, and merging would
 * make the stored reservation differ from the request, which breaks the idempotency comparison.
 */
export function requireItems(items: ReadonlyArray<{ productId: string; quantity: number }>): ReservedItem[] {
  if (items.length === 0) throw invalidArgument("items", "must contain at least one item");
  if (items.length > limits.maxItemsPerReservation) {
    throw invalidArgument("items", `must contain at most ${limits.maxItemsPerReservation} items`);
  }
  const seen = new Set<string>();
  return items.map((item, index) => {
    const productId = requireProductId(`items[${index}].product_id`, item.productId);
    if (seen.has(productId)) {
      throw invalidArgument(`items[${index}].product_id`, `"${productId}" is listed twice`);
    }
    seen.add(productId);
    const quantity = requireWholeNumber(`items[${index}].quantity`, item.quantity, {
      min: 1,
      max: limits.maxItemQuantity,
    });
    return { productId, quantity };
  });
}
