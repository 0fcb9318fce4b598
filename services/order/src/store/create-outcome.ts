import type { CreateResult, NewOrder, OrderRecord } from "./order-store.js";

/**
 * What a create that collided with `holder` on the cart-version index means: a retry of the same
 * request that raced its first attempt (same idempotency key) is a replay, anything else a second
 * checkout of the same cart. Shared so both store adapters answer the contract identically.
 */
export function cartVersionConflict(holder: OrderRecord, order: NewOrder): CreateResult {
  const conflict = holder.idempotencyKey === order.idempotencyKey ? "idempotency-key" : "cart-version";
  return { created: false, conflict, order: holder };
}

/**
 * Runs one create attempt, and a second only when the first found the cart version's holder gone
 * (cancelled between the conflict and the read of it: the version is free now). Undefined from an
 * attempt means exactly that.
 */
export async function createWithOneRetry(
  attempt: () => Promise<CreateResult | undefined>,
): Promise<CreateResult> {
  const result = (await attempt()) ?? (await attempt());
  if (!result) throw new Error("the cart version was released twice during one checkout");
  return result;
}
