import type { Namespace } from "@shop/platform/events/namespace";
import { startServiceEvents } from "@shop/platform/events/service-events";
import type { Logger } from "@shop/platform/log";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";

/**
 * The order service publishes OrderPlaced, OrderConfirmed and OrderCancelled. The store writes them to
 * the outbox in the transaction of the change; this relay moves committed rows to the order stream.
 * Returns the hooks that stop the relay and the connection, to run before the store closes.
 */
export async function startOrderEventRelay(options: {
  natsUrl: string;
  sql: Sql;
  logger: Logger;
  namespace?: Namespace;
  /** The service's metrics registry: the relay exports its lag and backlog there. */
  registry?: Registry;
}): Promise<Array<() => Promise<void>>> {
  const events = await startServiceEvents({ ...options, domain: "order" });
  return [() => events.stop()];
}
