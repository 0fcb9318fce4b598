import type { OrderChange, OrderRecord, SagaStep } from "../store/order-store.js";

/** What running one saga step produced; the executor maps RPC results and errors into these. */
export type StepOutcome =
  | { readonly kind: "reserved" }
  | { readonly kind: "outOfStock"; readonly message: string }
  | { readonly kind: "captured"; readonly paymentId: string }
  | { readonly kind: "declined"; readonly paymentId: string; readonly reason: string }
  | { readonly kind: "committed" }
  | { readonly kind: "compensated" }
  /** The upstream refused for good (not a transient fault): retrying cannot help. */
  | { readonly kind: "rejected"; readonly message: string }
  /** A transient fault (deadline, unavailable, breaker open): the step may be retried. */
  | { readonly kind: "unavailable"; readonly message: string };

/** What a step does, by saga step; DONE does nothing. */
export type StepAction = "reserve" | "charge" | "commit" | "compensate";

export interface SagaPolicy {
  /** A forward step that fails transiently this many times turns into compensation. */
  readonly maxStepAttempts: number;
}

/** The persisted consequence of an outcome, and which terminal event (if any) it publishes. */
export interface Transition {
  readonly change: OrderChange;
  readonly event?: "confirmed" | "cancelled";
  /** True when the step should be retried (after a back-off) rather than moving on. */
  readonly retry: boolean;
}

const actions: Record<SagaStep, StepAction | undefined> = {
  RESERVING: "reserve",
  CHARGING: "charge",
  COMMITTING: "commit",
  COMPENSATING: "compensate",
  DONE: undefined,
};

/** The RPC work of a step, or undefined when the saga is finished. */
export function actionFor(step: SagaStep): StepAction | undefined {
  return actions[step];
}

const upstreamOf: Record<StepAction, string> = {
  reserve: "inventory",
  charge: "payment",
  commit: "inventory",
  compensate: "compensation",
};

function compensate(reason: string): Transition {
  return {
    change: { saga: { step: "COMPENSATING", attempts: 0, cardToken: "", failureReason: reason } },
    retry: false,
  };
}

function moveTo(step: SagaStep, extra: OrderChange = {}): Transition {
  return { change: { ...extra, saga: { ...extra.saga, step, attempts: 0 } }, retry: false };
}

/**
 * The checkout saga's state machine: given an order and the outcome of its current step, the change to
 * persist. Pure, so every path (success, decline, missing stock, hanging upstream, customer cancel)
 * is unit-tested without a network.
 *
 * Forward steps that keep failing transiently give up after `maxStepAttempts` and compensate, so a
 * hanging upstream ends in CANCELLED rather than an order stuck PENDING. Compensation never gives up:
 * its steps are idempotent and it is the only way back to a consistent state.
 */
export function nextTransition(order: OrderRecord, outcome: StepOutcome, policy: SagaPolicy): Transition {
  const { step } = order.saga;
  const action = actionFor(step);
  if (!action) throw new Error(`order ${order.id}: the saga is DONE, nothing to transition`);

  if (outcome.kind === "unavailable") {
    const attempts = order.saga.attempts + 1;
    if (action !== "compensate" && attempts >= policy.maxStepAttempts) {
      return compensate(`checkout failed: the ${upstreamOf[action]} service did not answer`);
    }
    return { change: { saga: { attempts } }, retry: true };
  }

  switch (action) {
    case "reserve":
      if (outcome.kind === "reserved") return moveTo("CHARGING");
      if (outcome.kind === "outOfStock") return compensate("insufficient stock");
      break;
    case "charge":
      if (outcome.kind === "captured") {
        return moveTo("COMMITTING", { paymentId: outcome.paymentId, saga: { cardToken: "" } });
      }
      if (outcome.kind === "declined") {
        const next = compensate(`payment declined: ${outcome.reason}`);
        return { ...next, change: { ...next.change, paymentId: outcome.paymentId } };
      }
      break;
    case "commit":
      if (outcome.kind === "committed") {
        return {
          change: {
            status: "CONFIRMED",
            statusReason: "",
            saga: { step: "DONE", attempts: 0, leaseOwner: "" },
          },
          event: "confirmed",
          retry: false,
        };
      }
      break;
    case "compensate":
      if (outcome.kind === "compensated") {
        const alreadyCancelled = order.status === "CANCELLED";
        return {
          change: {
            status: "CANCELLED",
            statusReason: alreadyCancelled
              ? order.statusReason
              : order.saga.failureReason || "checkout failed",
            saga: { step: "DONE", attempts: 0, cardToken: "", leaseOwner: "" },
          },
          ...(alreadyCancelled ? {} : { event: "cancelled" as const }),
          retry: false,
        };
      }
      // Compensation must finish: any refusal is retried (and logged by the worker).
      return { change: { saga: { attempts: order.saga.attempts + 1 } }, retry: true };
  }
  if (outcome.kind === "rejected") return compensate(`checkout failed: ${outcome.message}`);
  throw new Error(`order ${order.id}: outcome ${outcome.kind} does not belong to step ${step}`);
}

/** Why a customer may not cancel, or the change that cancels the order at once. */
export type CancelDecision =
  | { readonly kind: "unchanged" }
  | { readonly kind: "refused"; readonly message: string }
  | { readonly kind: "cancel"; readonly change: OrderChange };

/**
 * CancelOrder's rule: a PENDING order whose card has not been charged yet is CANCELLED at once (the
 * saga then compensates whatever it reserved); a CANCELLED order stays as it is; a CONFIRMED one, or
 * one whose payment was captured and is being confirmed, is refused.
 */
export function customerCancel(order: OrderRecord, reason: string): CancelDecision {
  if (order.status === "CANCELLED") return { kind: "unchanged" };
  if (order.status === "CONFIRMED") return { kind: "refused", message: "the order is already confirmed" };
  if (order.saga.step === "COMMITTING") {
    return { kind: "refused", message: "the payment was captured and the order is being confirmed" };
  }
  return {
    kind: "cancel",
    change: {
      status: "CANCELLED",
      statusReason: reason,
      saga: {
        ...(order.saga.step === "DONE" ? {} : { step: "COMPENSATING" as const, attempts: 0 }),
        cardToken: "",
        failureReason: reason,
      },
    },
  };
}
