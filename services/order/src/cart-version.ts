import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Cart } from "@shop/gen/shop/cart/v1/cart_pb";

/**
 * The version of a cart as the order store records it: its last-change time in epoch milliseconds,
 * which the cart service makes strictly increase with every change. Why the change time: it is
 * already part of the Cart contract, so checkout can tell two reads of one unchanged cart from
 * reads of a cart that changed in between, with no new field. "" for a cart never changed (it is
 * empty, and nothing is ordered from it).
 */
export function cartVersionOf(cart: Cart | undefined): string {
  return cart?.updateTime ? String(timestampMs(cart.updateTime)) : "";
}
