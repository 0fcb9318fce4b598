import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import type { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { type PaymentService, PaymentStatus } from "@shop/gen/shop/payment/v1/payment_pb";
import type { OrderRecord } from "../store/order-store.js";
import { actionFor, type StepOutcome } from "./saga-transitions.js";

export interface SagaUpstreams {
  readonly inventory: Client<typeof InventoryService>;
  readonly payment: Client<typeof PaymentService>;
}

/** Runs the RPC work of an order's current saga step and reports its outcome. */
export type SagaStepRunner = (order: OrderRecord) => Promise<StepOutcome>;

/** Codes that say "try again later"; every other error is the upstream's final word. */
const transientCodes = new Set([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.ResourceExhausted,
  Code.Aborted,
  Code.Internal,
  Code.Unknown,
  Code.Canceled,
]);

function failure(error: unknown): StepOutcome {
  const connectError = ConnectError.from(error);
  return transientCodes.has(connectError.code)
    ? { kind: "unavailable", message: connectError.rawMessage }
    : { kind: "rejected", message: connectError.rawMessage };
}

/** Treats NotFound as success: a compensating call for something never created has nothing to undo. */
async function undo(call: () => Promise<unknown>, alsoDone: readonly Code[] = []): Promise<void> {
  try {
    await call();
  } catch (error) {
    const code = ConnectError.from(error).code;
    if (code !== Code.NotFound && !alsoDone.includes(code)) throw error;
  }
}

/**
 * The saga's steps as idempotent RPCs keyed by the order id: ReserveStock with reservation_id = order
 * id, Charge by order id, CommitReservation; compensation releases the reservation and refunds.
 * Each call carries `timeoutMs`, so a hanging upstream surfaces as a transient failure that the state
 * machine retries a bounded number of times.
 */
export function createSagaStepRunner(upstreams: SagaUpstreams, timeoutMs: number): SagaStepRunner {
  const { inventory, payment } = upstreams;
  const options = { timeoutMs };

  return async (order) => {
    const action = actionFor(order.saga.step);
    try {
      switch (action) {
        case "reserve":
          try {
            await inventory.reserveStock(
              {
                reservationId: order.id,
                orderId: order.id,
                items: order.items.map((line) => ({ productId: line.productId, quantity: line.quantity })),
              },
              options,
            );
            return { kind: "reserved" };
          } catch (error) {
            const connectError = ConnectError.from(error);
            if (connectError.code === Code.FailedPrecondition) {
              return { kind: "outOfStock", message: connectError.rawMessage };
            }
            throw error;
          }
        case "charge": {
          const { payment: paid } = await payment.charge(
            {
              orderId: order.id,
              userId: order.userId,
              amount: create(MoneySchema, order.total),
              cardToken: order.saga.cardToken,
            },
            options,
          );
          if (!paid) return { kind: "unavailable", message: "payment service returned no payment" };
          if (paid.status === PaymentStatus.CAPTURED) return { kind: "captured", paymentId: paid.id };
          if (paid.status === PaymentStatus.DECLINED) {
            return { kind: "declined", paymentId: paid.id, reason: paid.declineReason || "card declined" };
          }
          return { kind: "rejected", message: "the order's payment was already refunded" };
        }
        case "commit":
          await inventory.commitReservation({ reservationId: order.id }, options);
          return { kind: "committed" };
        case "compensate":
          // A reservation already released is done; one already committed cannot be released (the
          // goods are sold) and must not block the refund.
          await undo(
            () => inventory.releaseReservation({ reservationId: order.id }, options),
            [Code.FailedPrecondition],
          );
          await undo(() => payment.refund({ orderId: order.id, reason: "order cancelled" }, options));
          return { kind: "compensated" };
        case undefined:
          throw new Error(`order ${order.id}: the saga is DONE`);
      }
    } catch (error) {
      return failure(error);
    }
  };
}
