import type { Redis } from "ioredis";
import {
  addItemScript,
  clearIfUnchangedScript,
  readCartScript,
  removeItemScript,
  scriptStatus,
} from "./cart-scripts.js";

export interface CartLine {
  readonly productId: string;
  readonly quantity: number;
}

/** A user's cart as stored: lines in first-added order and the time of the last change. */
export interface StoredCart {
  readonly items: readonly CartLine[];
  /** Epoch milliseconds of the last change; undefined for a cart that does not exist. */
  readonly updatedMs: number | undefined;
}

/** Outcome of AddItem: business refusals are values, so the handler picks the error code. */
export type AddResult =
  | { readonly kind: "added"; readonly cart: StoredCart }
  | { readonly kind: "quantity-exceeded"; readonly current: number; readonly cart: StoredCart }
  | { readonly kind: "too-many-lines"; readonly cart: StoredCart };

/** Data access of the cart service. Every method is one atomic Redis operation. */
export interface CartStore {
  get(userId: string): Promise<StoredCart>;
  add(userId: string, productId: string, quantity: number): Promise<AddResult>;
  remove(userId: string, productId: string): Promise<StoredCart>;
  clear(userId: string): Promise<void>;
  /**
   * Deletes the cart only if its change time is still `updatedMs`, in one atomic step: "cleared"
   * (or "absent": no cart to clear), or "changed" when it changed since, leaving it untouched.
   */
  clearIfUnchanged(userId: string, updatedMs: number): Promise<"cleared" | "absent" | "changed">;
}

export interface CartStoreOptions {
  readonly redis: Redis;
  /** Prepended to every key (deployment or test isolation). */
  readonly keyPrefix: string;
  /** Seconds of inactivity after which a cart expires; every change restarts the clock. */
  readonly ttlSeconds: number;
  readonly maxQuantityPerLine: number;
  readonly maxLines: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

type ScriptReply = [number, string, string, ...string[]];

/** The Redis commands this store registers with `defineCommand` (EVALSHA with EVAL fallback). */
interface CartCommands {
  cartRead(k1: string, k2: string, k3: string): Promise<ScriptReply>;
  cartAdd(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<ScriptReply>;
  cartRemove(k1: string, k2: string, k3: string, ...args: Array<string | number>): Promise<ScriptReply>;
  cartClearIfUnchanged(k1: string, k2: string, k3: string, updatedMs: number): Promise<number>;
}

/**
 * Builds the Redis-backed cart store.
 *
 * Why Lua scripts: AddItem is read-modify-write (existing quantity, bounds, line limit, TTL), and two
 * concurrent adds from the same user must not lose one another's units or both squeeze past a limit.
 * A script runs atomically on the server, with one round trip, and returns the resulting cart.
 */
export function createCartStore(options: CartStoreOptions): CartStore {
  const { redis, keyPrefix, ttlSeconds } = options;
  const now = options.now ?? Date.now;
  redis.defineCommand("cartRead", { numberOfKeys: 3, lua: readCartScript });
  redis.defineCommand("cartAdd", { numberOfKeys: 3, lua: addItemScript });
  redis.defineCommand("cartRemove", { numberOfKeys: 3, lua: removeItemScript });
  redis.defineCommand("cartClearIfUnchanged", { numberOfKeys: 3, lua: clearIfUnchangedScript });
  const commands = redis as unknown as CartCommands;

  /** `{userId}` is a Redis Cluster hash tag: the three keys of one cart always share a slot. */
  function keys(userId: string): [string, string, string] {
    const base = `${keyPrefix}cart:{${userId}}`;
    return [base, `${base}:order`, `${base}:updated`];
  }

  return {
    async get(userId) {
      return parseCart(await commands.cartRead(...keys(userId)));
    },

    async add(userId, productId, quantity) {
      const reply = await commands.cartAdd(
        ...keys(userId),
        productId,
        quantity,
        options.maxQuantityPerLine,
        options.maxLines,
        ttlSeconds,
        now(),
      );
      const cart = parseCart(reply);
      switch (Number(reply[0])) {
        case scriptStatus.ok:
          return { kind: "added", cart };
        case scriptStatus.quantityExceeded:
          return { kind: "quantity-exceeded", current: Number(reply[1]), cart };
        case scriptStatus.tooManyLines:
          return { kind: "too-many-lines", cart };
        default:
          throw new Error(`unexpected cart script status ${reply[0]}`);
      }
    },

    async remove(userId, productId) {
      return parseCart(await commands.cartRemove(...keys(userId), productId, ttlSeconds, now()));
    },

    async clear(userId) {
      await redis.del(...keys(userId));
    },

    async clearIfUnchanged(userId, updatedMs) {
      const outcome = await commands.cartClearIfUnchanged(...keys(userId), updatedMs);
      return outcome === 0 ? "cleared" : outcome === 1 ? "absent" : "changed";
    },
  };
}

function parseCart(reply: ScriptReply): StoredCart {
  const [, , updated, ...flat] = reply;
  const items: CartLine[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    items.push({ productId: String(flat[i]), quantity: Number(flat[i + 1]) });
  }
  return { items, updatedMs: updated === "" ? undefined : Number(updated) };
}
