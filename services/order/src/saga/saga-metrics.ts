import { Counter, type Registry } from "prom-client";
import type { OrderStatusValue } from "../store/order-store.js";

/** How a checkout saga ended. */
export type SagaOutcome = "confirmed" | "cancelled";

/** Counts finished checkout sagas for the dashboards' "saga outcomes" panel. */
export interface SagaMetrics {
  /** `saga_outcomes_total{outcome}`; exposed so the service can register it on its runtime's registry. */
  readonly outcomes: Counter<"outcome">;
  /** Records the end of one saga from the order's final status; other statuses are ignored. */
  sagaEnded(status: OrderStatusValue): void;
}

const outcomeOfStatus: Partial<Record<OrderStatusValue, SagaOutcome>> = {
  CONFIRMED: "confirmed",
  CANCELLED: "cancelled",
};

/**
 * Creates the saga outcome counter, registered on `registry` when given (the service runtime's, so it
 * is served on `/metrics` with the RED metrics and the `service` label). Why both outcomes start at
 * zero: a dashboard's rate of "cancelled" must read 0, not "no data", before the first cancellation.
 */
export function createSagaMetrics(registry?: Registry): SagaMetrics {
  const outcomes = new Counter({
    name: "saga_outcomes_total",
    help: "Checkout sagas that reached a terminal state, by outcome (confirmed or cancelled).",
    labelNames: ["outcome"] as const,
    registers: registry ? [registry] : [],
  });
  for (const outcome of Object.values(outcomeOfStatus)) outcomes.labels(outcome).inc(0);
  return {
    outcomes,
    sagaEnded(status) {
      const outcome = outcomeOfStatus[status];
      if (outcome) outcomes.labels(outcome).inc();
    },
  };
}
