import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AddressSchema } from "@shop/gen/shop/common/v1/address_pb";
import { type Money, MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { type Order, OrderItemSchema, OrderSchema, OrderStatus } from "@shop/gen/shop/order/v1/order_pb";
import type { MoneyValue, OrderRecord } from "./store/order-store.js";

/** A stored amount as the proto Money. */
export function toProtoMoney(money: MoneyValue): Money {
  return create(MoneySchema, { currencyCode: money.currencyCode, units: money.units, nanos: money.nanos });
}

const statuses = {
  PENDING: OrderStatus.PENDING,
  CONFIRMED: OrderStatus.CONFIRMED,
  CANCELLED: OrderStatus.CANCELLED,
} as const;

/**
 * The public view of a stored order. Saga internals (step, lease, the card token) never leave the
 * service: clients see only the status and its reason.
 */
export function toProtoOrder(order: OrderRecord): Order {
  return create(OrderSchema, {
    id: order.id,
    userId: order.userId,
    status: statuses[order.status],
    items: order.items.map((line) =>
      create(OrderItemSchema, {
        productId: line.productId,
        name: line.name,
        quantity: line.quantity,
        unitPrice: toProtoMoney(line.unitPrice),
      }),
    ),
    total: toProtoMoney(order.total),
    statusReason: order.statusReason,
    shippingAddress: create(AddressSchema, order.shippingAddress),
    paymentId: order.paymentId,
    createTime: timestampFromDate(order.createdAt),
    updateTime: timestampFromDate(order.updatedAt),
  });
}
