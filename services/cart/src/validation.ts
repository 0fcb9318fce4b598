import { invalidArgument } from "@shop/platform/invalid-argument";
import { canonicalUuid } from "@shop/platform/uuid";
import { requireWholeNumber } from "@shop/platform/whole-number-field";

/** Limits of a cart; also documented in the README. */
export const cartLimits = {
  /** The contract: 1 to 99 units per line. */
  maxQuantityPerLine: 99,
  /** Different products per cart: keeps carts, scripts and checkouts bounded. */
  maxLines: 50,
  maxProductIdLength: 128,
  /**
   * AddItem idempotency keys remembered per cart, the most recently used: far more than a client
   * retries at once, and a bound on what one user's adds can make a cart hold in Redis.
   */
  maxIdempotencyKeys: 100,
} as const;

/**
 * A product id as a cart accepts it: required, bounded, printable ASCII without spaces or braces,
 * returned in the catalog's canonical form (a UUID in lower case). Why strict: the id becomes a Redis
 * hash field and is sent to the product service; anything a catalog id can never look like is refused
 * before either sees it. Why canonical on every RPC: lines are stored under the catalog's lower-case
 * id, so RemoveItem with the upper-case id AddItem accepted must name the same line, not silently
 * miss it.
 */
export function requireProductId(value: string): string {
  if (value === "") throw invalidArgument("product_id", "is required");
  if (value.length > cartLimits.maxProductIdLength) {
    throw invalidArgument("product_id", `must be at most ${cartLimits.maxProductIdLength} characters`);
  }
  if (!/^[\x21-\x7a\x7c\x7e]+$/.test(value)) {
    throw invalidArgument("product_id", "must be printable ASCII without spaces or braces");
  }
  return canonicalUuid(value) ?? value;
}

/** Units to add: 1 to 99 as the contract says; anything else is InvalidArgument. */
export function requireQuantity(value: number): number {
  return requireWholeNumber("quantity", value, { min: 1, max: cartLimits.maxQuantityPerLine });
}

/** Longest order id checkout's clear accepts (order ids are UUIDs; the bound keeps Redis fields small). */
const maxOrderIdLength = 128;

/**
 * Checkout's part of a ClearCart request: `order_id` with the ordered `items`, or neither. Both need
 * `update_time` (the caller passes whether it is set). Returns undefined for a plain clear. Each
 * product must come once (the lines of one order), with a quantity 1 to 99, in canonical form.
 */
export function requireOrderedRemoval(
  orderId: string,
  items: readonly { readonly productId: string; readonly quantity: number }[],
  hasUpdateTime: boolean,
): { orderId: string; items: { productId: string; quantity: number }[] } | undefined {
  if (orderId === "" && items.length === 0) return undefined;
  if (orderId === "") throw invalidArgument("order_id", "is required with items");
  if (orderId.length > maxOrderIdLength) {
    throw invalidArgument("order_id", `must be at most ${maxOrderIdLength} characters`);
  }
  if (!hasUpdateTime) throw invalidArgument("update_time", "is required with order_id");
  if (items.length === 0) throw invalidArgument("items", "are required with order_id");
  if (items.length > cartLimits.maxLines) {
    throw invalidArgument("items", `must be at most ${cartLimits.maxLines} lines`);
  }
  const seen = new Set<string>();
  const lines = items.map((item) => {
    const productId = requireProductId(item.productId);
    if (seen.has(productId)) throw invalidArgument("items", `name product "${productId}" more than once`);
    seen.add(productId);
    return { productId, quantity: requireQuantity(item.quantity) };
  });
  return { orderId, items: lines };
}
