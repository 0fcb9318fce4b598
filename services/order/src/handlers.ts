import { randomUUID } from "node:crypto";
import { type Client, Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { OrderCancelledSchema, OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import type { OrderService } from "@shop/gen/shop/order/v1/order_pb";
import type { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { createEvent } from "@shop/platform/events/event-codec";
import { requireIdempotencyKey } from "@shop/platform/idempotency-key";
import { invalidArgument } from "@shop/platform/invalid-argument";
import { resolvePageSize } from "@shop/platform/page-size";
import { requestLoggerKey, traceHeaders } from "@shop/platform/request-context";
import { canonicalUuid } from "@shop/platform/uuid";
import { cartVersionOf } from "./cart-version.js";
import { orderTotal } from "./money.js";
import { toProtoMoney, toProtoOrder } from "./order-proto.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { customerCancel } from "./saga/saga-transitions.js";
import type { SagaWorker } from "./saga/saga-worker.js";
import type { NewOrder, OrderLine, OrderRecord, OrderStore } from "./store/order-store.js";
import { requireAddress, requireCancelReason, requireCardToken } from "./validation.js";

export interface OrderHandlerDeps {
  readonly store: OrderStore;
  readonly worker: Pick<SagaWorker, "kick">;
  readonly cart: Client<typeof CartService>;
  readonly product: Client<typeof ProductService>;
}

/** Headers for calls made on the caller's behalf: their bearer token and the trace context. */
function onBehalfOf(ctx: HandlerContext): Record<string, string> {
  const authorization = ctx.requestHeader.get("authorization");
  return { ...traceHeaders(ctx.values), ...(authorization ? { authorization } : {}) };
}

function notFound(): ConnectError {
  return new ConnectError("order not found", Code.NotFound);
}

/**
 * The OrderService RPCs. PlaceOrder snapshots the caller's cart into a PENDING order and hands it to
 * the saga worker; the outcome arrives asynchronously. Every RPC works on the caller's orders only.
 */
export function createOrderHandlers(deps: OrderHandlerDeps): ServiceImpl<typeof OrderService> {
  const { store, worker, cart, product } = deps;

  async function priceLines(items: readonly { productId: string; quantity: number }[]): Promise<OrderLine[]> {
    return Promise.all(
      items.map(async (item) => {
        try {
          const { product: found } = await product.getProduct({ id: item.productId });
          if (!found?.price) throw new ConnectError("product has no price", Code.NotFound);
          return {
            productId: item.productId,
            name: found.name,
            quantity: item.quantity,
            unitPrice: {
              currencyCode: found.price.currencyCode,
              units: found.price.units,
              nanos: found.price.nanos,
            },
          };
        } catch (error) {
          if (ConnectError.from(error).code === Code.NotFound) {
            throw new ConnectError(`product "${item.productId}" no longer exists`, Code.FailedPrecondition);
          }
          throw error;
        }
      }),
    );
  }

  async function ownOrder(id: string, userId: string): Promise<OrderRecord> {
    if (id === "") throw invalidArgument("id", "is required");
    // Order ids are UUIDs: anything else names no order (NotFound, like someone else's order).
    const canonicalId = canonicalUuid(id);
    const order = canonicalId ? await store.get(canonicalId) : undefined;
    if (!order || order.userId !== userId) throw notFound();
    return order;
  }

  return {
    async placeOrder(req, ctx) {
      const { userId } = requireIdentity(ctx);
      const idempotencyKey = requireIdempotencyKey(req.idempotencyKey);
      const cardToken = requireCardToken(req.payment?.cardToken);
      const shippingAddress = requireAddress(req.shippingAddress);

      const repeat = await store.getByIdempotencyKey(userId, idempotencyKey);
      if (repeat) return { order: toProtoOrder(repeat) };

      const headers = onBehalfOf(ctx);
      const { cart: current } = await cart.getCart({}, { headers });
      const items = current?.items ?? [];
      if (items.length === 0) throw new ConnectError("the cart is empty", Code.FailedPrecondition);
      const lines = await priceLines(items);
      const total = orderTotal(lines);
      if (!total) throw new ConnectError("the cart mixes currencies", Code.FailedPrecondition);

      const createdAt = new Date();
      const order: NewOrder = {
        id: randomUUID(),
        userId,
        idempotencyKey,
        cartVersion: cartVersionOf(current),
        status: "PENDING",
        statusReason: "",
        items: lines,
        total,
        shippingAddress,
        paymentId: "",
        saga: {
          step: "RESERVING",
          attempts: 0,
          cardToken,
          failureReason: "",
          leaseOwner: "",
          leaseExpiresAt: createdAt,
        },
        createdAt,
      };
      const placed = createEvent(OrderPlacedSchema, {
        orderId: order.id,
        userId,
        items: toProtoOrder({ ...order, version: 1, updatedAt: createdAt }).items,
        total: toProtoMoney(total),
      });
      const result = await store.create(order, placed);
      if (!result.created && result.conflict === "cart-version") {
        throw new ConnectError(
          `this cart was already checked out as order ${result.order.id}; change the cart to place another order`,
          Code.FailedPrecondition,
        );
      }
      if (result.created) {
        try {
          // Only what was ordered: the cart unchanged since it was read is deleted; one changed since
          // (an item added while this order was placed) loses exactly the ordered quantities and
          // keeps the new item. The order id makes a retried clear subtract once.
          await cart.clearCart(
            {
              updateTime: current?.updateTime,
              orderId: order.id,
              items: items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
            },
            { headers },
          );
        } catch (error) {
          // The order stands; a cart left full is an inconvenience, not an inconsistency.
          ctx.values
            .get(requestLoggerKey)
            .warn({ err: error, order_id: order.id }, "could not clear the cart");
        }
        worker.kick(result.order.id);
      }
      return { order: toProtoOrder(result.order) };
    },

    async getOrder(req, ctx) {
      const { userId } = requireIdentity(ctx);
      return { order: toProtoOrder(await ownOrder(req.id, userId)) };
    },

    async listOrders(req, ctx) {
      const { userId } = requireIdentity(ctx);
      const pageSize = resolvePageSize(req.pageSize);
      const after = decodePageToken(req.pageToken);
      const rows = await store.listByUser(userId, { limit: pageSize + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, pageSize);
      const last = page.at(-1);
      return {
        orders: page.map(toProtoOrder),
        nextPageToken: rows.length > pageSize && last ? encodePageToken(last) : "",
      };
    },

    async cancelOrder(req, ctx) {
      const { userId } = requireIdentity(ctx);
      const reason = requireCancelReason(req.reason);
      let order = await ownOrder(req.id, userId);
      // The saga may move the order between our read and our write; re-read and decide again.
      for (let attempt = 0; attempt < 5; attempt++) {
        const decision = customerCancel(order, reason);
        if (decision.kind === "unchanged") return { order: toProtoOrder(order) };
        if (decision.kind === "refused") throw new ConnectError(decision.message, Code.FailedPrecondition);
        const event = createEvent(OrderCancelledSchema, { orderId: order.id, userId, reason });
        const saved = await store.update(order.id, order.version, decision.change, event);
        if (saved) {
          worker.kick(saved.id);
          return { order: toProtoOrder(saved) };
        }
        order = await ownOrder(order.id, userId);
      }
      throw new ConnectError("the order is changing too fast; try again", Code.Aborted);
    },
  };
}
