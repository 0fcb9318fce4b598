import { Gauge, type Registry } from "prom-client";

/**
 * Registers `owed_refunds_pending` on the service's registry: refunds owed to customers for voided
 * orders that the card provider has not confirmed yet. `countPending` runs when Prometheus scrapes,
 * so the number is current without a timer. Why a gauge: the worker retries an owed refund for as
 * long as it takes, so a provider that keeps refusing shows nowhere else; a value that stays above
 * zero is money a customer is still waiting for, and worth an alert.
 */
export function registerOwedRefundMetrics(registry: Registry, countPending: () => Promise<number>): void {
  new Gauge({
    name: "owed_refunds_pending",
    help: "Refunds owed for voided orders (charge captured after the order was voided) not yet confirmed by the card provider.",
    registers: [registry],
    async collect() {
      this.set(await countPending());
    },
  });
}
