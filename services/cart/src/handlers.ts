import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { optionalIdempotencyKey } from "@shop/platform/idempotency-key";
import { traceHeaders } from "@shop/platform/request-context";
import type { Catalog } from "./catalog.js";
import type { CartEvents } from "./events.js";
import type { AddResult, CartStore, StoredCart } from "./store.js";
import { cartLimits, requireOrderedRemoval, requireProductId, requireQuantity } from "./validation.js";

function toProto(userId: string, cart: StoredCart) {
  return {
    userId,
    items: cart.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
    ...(cart.updatedMs === undefined ? {} : { updateTime: timestampFromMs(cart.updatedMs) }),
  };
}

/** AddItem's answer for what the store did: the cart, or the refusal's error. */
function answerAdd(userId: string, productId: string, quantity: number, result: AddResult) {
  switch (result.kind) {
    case "added":
    case "repeat":
      return { cart: toProto(userId, result.cart) };
    case "key-reused":
      throw new ConnectError(
        `idempotency_key was already used on this cart to add ${result.first.quantity} of product "${result.first.productId}"; it adds nothing else: send a new key for a different add`,
        Code.FailedPrecondition,
      );
    case "quantity-exceeded":
      throw new ConnectError(
        `cart already holds ${result.current} of product "${productId}"; adding ${quantity} would exceed ${cartLimits.maxQuantityPerLine}`,
        Code.FailedPrecondition,
      );
    case "too-many-lines":
      throw new ConnectError(
        `cart already holds ${cartLimits.maxLines} different products; remove one first`,
        Code.FailedPrecondition,
      );
  }
}

/**
 * The CartService RPCs. The cart is always the caller's: the user id comes only from the verified
 * identity the platform's auth interceptor put in the context, never from the request, so no call
 * can read or change another user's cart.
 *
 * With `events`, ClearCart announces CartCleared after the cart is gone (see events.ts for the
 * delivery guarantee); without them (no NATS configured) it only clears.
 */
export function createCartHandlers(
  store: CartStore,
  catalog: Catalog,
  events?: CartEvents,
): ServiceImpl<typeof CartService> {
  return {
    async getCart(_request, context) {
      const { userId } = requireIdentity(context);
      return { cart: toProto(userId, await store.get(userId)) };
    },

    async addItem(request, context) {
      const { userId } = requireIdentity(context);
      const requested = requireProductId(request.productId);
      const quantity = requireQuantity(request.quantity);
      const idempotencyKey = optionalIdempotencyKey(request.idempotencyKey);
      // A retry whose key is recorded is answered from Redis alone: the add it repeats was checked
      // against the catalog when it was applied, and asking again would turn the retry of a done add
      // into UNAVAILABLE whenever the product service is down. A canonical product id is what the
      // catalog answers, so `requested` matches what the first add recorded.
      const earlier = idempotencyKey
        ? await store.earlierAdd(userId, requested, quantity, idempotencyKey)
        : undefined;
      if (earlier) return answerAdd(userId, requested, quantity, earlier);
      const productId = await catalog.requireProduct(requested, traceHeaders(context.values));
      return answerAdd(
        userId,
        productId,
        quantity,
        await store.add(userId, productId, quantity, idempotencyKey),
      );
    },

    async removeItem(request, context) {
      const { userId } = requireIdentity(context);
      const productId = requireProductId(request.productId);
      return { cart: toProto(userId, await store.remove(userId, productId)) };
    },

    async clearCart(request, context) {
      const { userId } = requireIdentity(context);
      const removal = requireOrderedRemoval(request.orderId, request.items, request.updateTime !== undefined);
      if (removal !== undefined && request.updateTime !== undefined) {
        // Checkout's clear: the unchanged cart is deleted, a changed one loses the ordered lines,
        // once per order id. Only a deleted (or absent) cart is announced as cleared; a repeat
        // announces again what the first call did, so a publish that failed is retried with it.
        const result = await store.removeOrdered(userId, {
          ...removal,
          updatedMs: timestampMs(request.updateTime),
        });
        if (result.outcome !== "removed") {
          await events?.cartCleared(userId, traceHeaders(context.values).traceparent);
        }
        return {};
      }
      if (request.updateTime === undefined) {
        await store.clear(userId);
      } else if ((await store.clearIfUnchanged(userId, timestampMs(request.updateTime))) === "changed") {
        throw new ConnectError(
          "the cart changed after update_time; it was left as it is",
          Code.FailedPrecondition,
        );
      }
      await events?.cartCleared(userId, traceHeaders(context.values).traceparent);
      return {};
    },
  };
}
