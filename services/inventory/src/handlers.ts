import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type InventoryService, ReservationStatus } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { traceHeaders } from "@shop/platform/request-context";
import type { ProductCatalog } from "./catalog.js";
import type { InventoryStore, ReservationRecord, TransitionResult } from "./store.js";
import { requireAvailable, requireId, requireItems, requireProductId } from "./validation.js";

const statusToProto: Record<ReservationRecord["status"], ReservationStatus> = {
  RESERVED: ReservationStatus.RESERVED,
  COMMITTED: ReservationStatus.COMMITTED,
  RELEASED: ReservationStatus.RELEASED,
};

function toProto(reservation: ReservationRecord) {
  return {
    id: reservation.id,
    orderId: reservation.orderId,
    items: reservation.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
    status: statusToProto[reservation.status],
  };
}

/**
 * Turns a commit/release outcome into the reservation or the contract's error. `forbidden` is the
 * status from which the transition is refused (RELEASED for commit, COMMITTED for release).
 */
function transitionResponse(result: TransitionResult, id: string, verb: "commit" | "release") {
  switch (result.kind) {
    case "done":
      return { reservation: toProto(result.reservation) };
    case "not-found":
      throw new ConnectError(`reservation "${id}" not found`, Code.NotFound);
    case "wrong-status":
      throw new ConnectError(
        `cannot ${verb} reservation "${id}": it is already ${result.reservation.status.toLowerCase()}`,
        Code.FailedPrecondition,
      );
  }
}

/**
 * The InventoryService RPCs: validate, call the store, map outcomes to the contract's codes.
 * Who may call what (admin for SetStock, internal for reserve/commit/release) is enforced by the
 * platform's auth interceptor from the proto `access` option, not here.
 *
 * With a `catalog`, SetStock first asks the product service that the product exists (the contract:
 * NOT_FOUND for an unknown product, UNAVAILABLE when the catalog cannot answer) and stores the stock
 * under the catalog's canonical id. Reservations do not ask: their items come from the order
 * service, which priced them from the catalog, and stock that was never set cannot be reserved.
 */
export function createInventoryHandlers(
  store: InventoryStore,
  catalog?: ProductCatalog,
): ServiceImpl<typeof InventoryService> {
  return {
    async getStock(request) {
      const productId = requireProductId("product_id", request.productId);
      return { stock: await store.getStock(productId) };
    },

    async setStock(request, context) {
      const requested = requireProductId("product_id", request.productId);
      const available = requireAvailable(request.available);
      const productId = catalog
        ? await catalog.requireProduct(requested, traceHeaders(context.values))
        : requested;
      return { stock: await store.setStock(productId, available) };
    },

    async reserveStock(request) {
      const reservationId = requireId("reservation_id", request.reservationId);
      const orderId = requireId("order_id", request.orderId);
      const items = requireItems(request.items);
      const result = await store.reserve({ reservationId, orderId, items });
      switch (result.kind) {
        case "reserved":
          return { reservation: toProto(result.reservation) };
        case "insufficient":
          throw new ConnectError(
            `insufficient stock for product "${result.productId}": ${result.requested} requested`,
            Code.FailedPrecondition,
          );
        case "released-first":
          throw new ConnectError(
            `reservation "${reservationId}" was released before it was made (its order was cancelled); nothing is reserved`,
            Code.FailedPrecondition,
          );
        case "conflict":
          throw new ConnectError(
            `reservation "${reservationId}" already exists with a different order or items`,
            Code.AlreadyExists,
          );
      }
    },

    async commitReservation(request) {
      const id = requireId("reservation_id", request.reservationId);
      return transitionResponse(await store.commit(id), id, "commit");
    },

    async releaseReservation(request) {
      const id = requireId("reservation_id", request.reservationId);
      return transitionResponse(await store.release(id), id, "release");
    },
  };
}
