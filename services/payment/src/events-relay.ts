import type { Namespace } from "@shop/platform/events/namespace";
import { startServiceEvents } from "@shop/platform/events/service-events";
import type { Logger } from "@shop/platform/log";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";

/**
 * Moves the payment events committed to the outbox (see store.ts) to the payment stream on JetStream.
 * Returns the hooks that stop the relay and the connection, to run before the database pool closes.
 */
export async function startPaymentEventRelay(options: {
  natsUrl: string;
  sql: Sql;
  logger: Logger;
  namespace?: Namespace;
  /** The service's metrics registry: the relay exports its lag and backlog there. */
  registry?: Registry;
}): Promise<Array<() => Promise<void>>> {
  const events = await startServiceEvents({ ...options, domain: "payment" });
  return [() => events.stop()];
}
