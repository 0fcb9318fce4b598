import type { Namespace } from "@shop/platform/events/namespace";
import { type ServiceEvents, startServiceEvents } from "@shop/platform/events/service-events";
import type { Logger } from "@shop/platform/log";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";

/**
 * The inventory service publishes StockReserved, StockCommitted, StockReleased and StockChanged.
 * The store writes them to the outbox inside the transaction of the change (see store.ts); the
 * platform's relay moves committed rows to the inventory stream on JetStream.
 *
 * Returns the running event side; stop it before the database pool closes.
 */
export function startInventoryEventRelay(options: {
  natsUrl: string;
  sql: Sql;
  logger: Logger;
  namespace?: Namespace;
  /** The service's metrics registry: the relay exports its lag and backlog there. */
  registry?: Registry;
}): Promise<ServiceEvents> {
  return startServiceEvents({ ...options, domain: "inventory" });
}
