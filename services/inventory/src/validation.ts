import { Code, ConnectError } from "@connectrpc/connect";
import { codePointLength } from "@shop/platform/code-point-length";
import { findControlCharacter } from "@shop/platform/control-characters";
import { canonicalUuid } from "@shop/platform/uuid";
import type { ReservedItem } from "./store.js";

/** Limits of the API; also documented in the README. */
export const limits = {
  maxIdLength: 128,
  maxAvailable: 1_000_000,
  maxItemQuantity: 1000,
  maxItemsPerReservation: 100,
} as const;

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/**
 * Checks a caller-chosen id (reservation id, order id): required, at most 128 characters (code points,
 * as every limit counts them: an emoji is one), no
 * surrounding whitespace or control characters. Why strict: these ids become primary keys, and an id
 * with a trailing space would silently be a different reservation.
 */
export function requireId(field: string, value: string): string {
  if (value.length === 0) throw invalid(`${field} is required`);
  if (codePointLength(value) > limits.maxIdLength) {
    throw invalid(`${field} must be at most ${limits.maxIdLength} characters`);
  }
  if (value.trim() !== value || findControlCharacter(value) !== undefined) {
    throw invalid(`${field} must not contain whitespace at either end or control characters`);
  }
  return value;
}

/**
 * Checks a product id: required, a UUID (the catalog's ids, shop.product.v1.Product.id), returned in
 * lower case. Why on every RPC: the product service refuses anything else as INVALID_ARGUMENT, so
 * GetStock answering "zero in stock" for `xyz` while SetStock said NOT_FOUND told callers two
 * different stories; and stock is keyed by the catalog's lower-case id, which an upper-case id must
 * find too.
 */
export function requireProductId(field: string, value: string): string {
  if (value.length === 0) throw invalid(`${field} is required`);
  const productId = canonicalUuid(value);
  if (productId === undefined) {
    throw invalid(`${field} must be a product id, a UUID such as 0b9f2c1e-8d4a-4f3b-9c2d-1e0f5a6b7c8d`);
  }
  return productId;
}

/** SetStock's count: 0 to 1,000,000 as the contract says. */
export function requireAvailable(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > limits.maxAvailable) {
    throw invalid(`available must be between 0 and ${limits.maxAvailable}`);
  }
  return value;
}

/**
 * ReserveStock's items: at least one, at most 100, quantities 1 to 1000, product ids UUIDs and unique
 * (after lower-casing).
 * Duplicate product ids are rejected, not merged: the contract says ids are unique, and merging would
 * make the stored reservation differ from the request, which breaks the idempotency comparison.
 */
export function requireItems(items: ReadonlyArray<{ productId: string; quantity: number }>): ReservedItem[] {
  if (items.length === 0) throw invalid("items must contain at least one item");
  if (items.length > limits.maxItemsPerReservation) {
    throw invalid(`items must contain at most ${limits.maxItemsPerReservation} items`);
  }
  const seen = new Set<string>();
  return items.map((item, index) => {
    const productId = requireProductId(`items[${index}].product_id`, item.productId);
    if (seen.has(productId)) throw invalid(`items[${index}].product_id "${productId}" is listed twice`);
    seen.add(productId);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > limits.maxItemQuantity) {
      throw invalid(`items[${index}].quantity must be between 1 and ${limits.maxItemQuantity}`);
    }
    return { productId, quantity: item.quantity };
  });
}
