import type { Redis } from "ioredis";
import {
  addItemScript,
  clearIfUnchangedScript,
  earlierAddScript,
  readCartScript,
  removalOutcome,
  removeItemScript,
  removeOrderedScript,
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

/**
 * Outcome of AddItem: business refusals are values, so the handler picks the error code. "repeat":
 * the idempotency key was applied already by the same add; "key-reused": by another add, `first`
 * (product and quantity). Neither changed anything; `cart` is the cart as it is now.
 */
export type AddResult =
  | { readonly kind: "added"; readonly cart: StoredCart }
  | { readonly kind: "repeat"; readonly cart: StoredCart }
  | { readonly kind: "key-reused"; readonly first: CartLine; readonly cart: StoredCart }
  | { readonly kind: "quantity-exceeded"; readonly current: number; readonly cart: StoredCart }
  | { readonly kind: "too-many-lines"; readonly cart: StoredCart };

/** Checkout's removal of what one order took from the cart it was read from. */
export interface OrderedRemoval {
  /** The idempotency token: a removal for an order id already applied changes nothing. */
  readonly orderId: string;
  /** The change time of the cart as the order read it, epoch milliseconds. */
  readonly updatedMs: number;
  /** The ordered lines, each product once. */
  readonly items: readonly CartLine[];
}

/**
 * What checkout's removal did: deleted the unchanged cart ("cleared"), found none ("absent"), or
 * subtracted the ordered quantities from a cart changed since ("removed"). `repeat` when the order
 * id was applied before: nothing changed this time, and `outcome` is the first application's.
 */
export interface RemovalResult {
  readonly outcome: "cleared" | "absent" | "removed";
  readonly repeat: boolean;
}

/** Data access of the cart service. Every method is one atomic Redis operation. */
export interface CartStore {
  get(userId: string): Promise<StoredCart>;
  /**
   * Adds to the product's line. With `idempotencyKey`, at most once per key and cart: the key is
   * checked and recorded in the same atomic step as the add.
   */
  add(userId: string, productId: string, quantity: number, idempotencyKey?: string): Promise<AddResult>;
  /**
   * What \`add\` would answer with this idempotency key if the key is recorded already ("repeat" or
   * "key-reused"), without changing anything; undefined when it is not recorded. Lets a retry be
   * answered without asking the catalog again.
   */
  earlierAdd(
    userId: string,
    productId: string,
    quantity: number,
    idempotencyKey: string,
  ): Promise<AddResult | undefined>;
  remove(userId: string, productId: string): Promise<StoredCart>;
  clear(userId: string): Promise<void>;
  /**
   * Deletes the cart only if its change time is still `updatedMs`, in one atomic step: "cleared"
   * (or "absent": no cart to clear), or "changed" when it changed since, leaving it untouched.
   */
  clearIfUnchanged(userId: string, updatedMs: number): Promise<"cleared" | "absent" | "changed">;
  /**
   * Checkout's clear, in one atomic step and at most once per order id: deletes the cart if its
   * change time is still `updatedMs`, else subtracts the ordered quantities from it (lines at 0 or
   * below removed, lines added meanwhile kept).
   */
  removeOrdered(userId: string, removal: OrderedRemoval): Promise<RemovalResult>;
}

export interface CartStoreOptions {
  readonly redis: Redis;
  /** Prepended to every key (deployment or test isolation). */
  readonly keyPrefix: string;
  /** Seconds of inactivity after which a cart expires; every change restarts the clock. */
  readonly ttlSeconds: number;
  readonly maxQuantityPerLine: number;
  readonly maxLines: number;
  /** AddItem idempotency keys remembered per cart; older ones are forgotten (see cart-scripts.ts). */
  readonly maxIdempotencyKeys: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

type ScriptReply = [number, string, string, ...string[]];

/** The Redis commands this store registers with `defineCommand` (EVALSHA with EVAL fallback). */
type CartKeys = [string, string, string, string, string, string];

interface CartCommands {
  cartRead(...keys: CartKeys): Promise<ScriptReply>;
  cartEarlierAdd(...keysAndArgs: [...CartKeys, string, number, string]): Promise<ScriptReply>;
  cartAdd(...keysAndArgs: [...CartKeys, ...Array<string | number>]): Promise<ScriptReply>;
  cartRemove(...keysAndArgs: [...CartKeys, ...Array<string | number>]): Promise<ScriptReply>;
  cartClearIfUnchanged(...keysAndArgs: [...CartKeys, number]): Promise<number>;
  cartRemoveOrdered(...keysAndArgs: [...CartKeys, ...Array<string | number>]): Promise<[number, number]>;
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
  redis.defineCommand("cartRead", { numberOfKeys: 6, lua: readCartScript });
  redis.defineCommand("cartEarlierAdd", { numberOfKeys: 6, lua: earlierAddScript });
  redis.defineCommand("cartAdd", { numberOfKeys: 6, lua: addItemScript });
  redis.defineCommand("cartRemove", { numberOfKeys: 6, lua: removeItemScript });
  redis.defineCommand("cartClearIfUnchanged", { numberOfKeys: 6, lua: clearIfUnchangedScript });
  redis.defineCommand("cartRemoveOrdered", { numberOfKeys: 6, lua: removeOrderedScript });
  const commands = redis as unknown as CartCommands;

  /**
   * `{userId}` is a Redis Cluster hash tag: the six keys of one cart always share a slot. Every
   * script gets all six, so every change refreshes the TTL of all six (see cart-scripts.ts).
   */
  function keys(userId: string): CartKeys {
    const base = `${keyPrefix}cart:{${userId}}`;
    return [
      base,
      `${base}:order`,
      `${base}:updated`,
      `${base}:applied`,
      `${base}:added`,
      `${base}:added:order`,
    ];
  }

  return {
    async get(userId) {
      return parseCart(await commands.cartRead(...keys(userId)));
    },

    async add(userId, productId, quantity, idempotencyKey) {
      const reply = await commands.cartAdd(
        ...keys(userId),
        productId,
        quantity,
        options.maxQuantityPerLine,
        options.maxLines,
        ttlSeconds,
        now(),
        idempotencyKey ?? "",
        options.maxIdempotencyKeys,
      );
      const result = addResultOf(reply);
      if (!result) throw new Error("the cart add script answered that its key is not recorded");
      return result;
    },

    async earlierAdd(userId, productId, quantity, idempotencyKey) {
      return addResultOf(await commands.cartEarlierAdd(...keys(userId), productId, quantity, idempotencyKey));
    },

    async remove(userId, productId) {
      return parseCart(await commands.cartRemove(...keys(userId), productId, ttlSeconds, now()));
    },

    async clear(userId) {
      // The contents only: the `:applied` order ids and `:added` keys outlive a clear, so a late
      // retry of checkout's removal or of an add still finds itself applied and cannot take lines
      // from, or add lines to, the next cart.
      await redis.del(...keys(userId).slice(0, 3));
    },

    async clearIfUnchanged(userId, updatedMs) {
      const outcome = await commands.cartClearIfUnchanged(...keys(userId), updatedMs);
      return outcome === 0 ? "cleared" : outcome === 1 ? "absent" : "changed";
    },

    async removeOrdered(userId, removal) {
      const lines = removal.items.flatMap((item) => [item.productId, item.quantity]);
      const [outcome, repeat] = await commands.cartRemoveOrdered(
        ...keys(userId),
        removal.orderId,
        removal.updatedMs,
        ttlSeconds,
        now(),
        ...lines,
      );
      const kind =
        outcome === removalOutcome.cleared
          ? "cleared"
          : outcome === removalOutcome.absent
            ? "absent"
            : "removed";
      return { outcome: kind, repeat: repeat === 1 };
    },
  };
}

/** The outcome an add script's reply reports; undefined for `notRecorded` (the earlier-add check's "no"). */
function addResultOf(reply: ScriptReply): AddResult | undefined {
  const cart = parseCart(reply);
  switch (Number(reply[0])) {
    case scriptStatus.ok:
      return { kind: "added", cart };
    case scriptStatus.repeat:
      return { kind: "repeat", cart };
    case scriptStatus.keyReused: {
      // `productId quantity`: product ids never hold a space (see validation.ts).
      const [first = "", firstQuantity = "0"] = reply[1].split(" ");
      return { kind: "key-reused", first: { productId: first, quantity: Number(firstQuantity) }, cart };
    }
    case scriptStatus.quantityExceeded:
      return { kind: "quantity-exceeded", current: Number(reply[1]), cart };
    case scriptStatus.tooManyLines:
      return { kind: "too-many-lines", cart };
    case scriptStatus.notRecorded:
      return undefined;
    default:
      throw new Error(`unexpected cart script status ${reply[0]}`);
  }
}

function parseCart(reply: ScriptReply): StoredCart {
  const [, , updated, ...flat] = reply;
  const items: CartLine[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    items.push({ productId: String(flat[i]), quantity: Number(flat[i + 1]) });
  }
  return { items, updatedMs: updated === "" ? undefined : Number(updated) };
}
