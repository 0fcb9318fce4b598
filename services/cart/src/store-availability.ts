import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "@shop/platform/log";
import type { CartStore } from "./store.js";

/**
 * Wraps a cart store so that any failure of Redis (connection lost, command timed out, server
 * loading or read-only) reaches the caller as UNAVAILABLE — "try again" — instead of the generic
 * INTERNAL the platform gives unexpected errors. Why: the carts live only in Redis, so a failing
 * Redis is an outage of this service, which clients and the edge (503) handle by retrying later.
 * The cause is logged here, because the caller only sees the generic message.
 */
export function withRedisAvailability(store: CartStore, logger: Logger): CartStore {
  const guard = async <T>(operation: string, userId: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      logger.warn({ err: error, operation, user_id: userId }, "redis call failed");
      throw new ConnectError("the cart store is unavailable, try again later", Code.Unavailable);
    }
  };
  return {
    get: (userId) => guard("get", userId, () => store.get(userId)),
    add: (userId, productId, quantity, idempotencyKey) =>
      guard("add", userId, () => store.add(userId, productId, quantity, idempotencyKey)),
    earlierAdd: (userId, productId, quantity, idempotencyKey) =>
      guard("earlier-add", userId, () => store.earlierAdd(userId, productId, quantity, idempotencyKey)),
    remove: (userId, productId) => guard("remove", userId, () => store.remove(userId, productId)),
    clear: (userId) => guard("clear", userId, () => store.clear(userId)),
    clearIfUnchanged: (userId, updatedMs) =>
      guard("clear", userId, () => store.clearIfUnchanged(userId, updatedMs)),
    removeOrdered: (userId, removal) =>
      guard("remove-ordered", userId, () => store.removeOrdered(userId, removal)),
  };
}
