import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

/** The inventory service's environment. */
export const inventoryEnv = z.object({
  ...commonServiceEnv,
  ...authServiceEnv,
  ...eventsServiceEnv,
  PORT: portVar(8006),
  DATABASE_URL: urlVar("postgres://postgres@127.0.0.1:5432/shop_inventory"),
  /** JetStream for the outbox relay; unset means events stay in the outbox until a relay runs. */
  NATS_URL: urlVar().optional(),
  /**
   * Where the product service (or its sidecar) listens: SetStock checks there that the product
   * exists. Unset turns the check off (stock for any id), which only isolated tests of this service
   * want; `npm start`, compose and Kubernetes set it.
   */
  PRODUCT_URL: urlVar().optional(),
  /** Deadline of one product lookup, retries included. */
  PRODUCT_TIMEOUT_MS: durationMsVar(1000),
});

export type InventoryConfig = ReturnType<typeof parseInventoryConfig>;

/**
 * Reads the inventory service's settings once at start-up; fails fast naming any bad variable.
 * Why a function per service: each service owns its schema, but every service parses the same way.
 */
export function parseInventoryConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(inventoryEnv, env);
}
