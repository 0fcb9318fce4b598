import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

const hourMs = 3_600_000;

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
  /**
   * How long the marker of an id released before it was reserved is kept; it must outlast any
   * ReserveStock of that id still on its way (see `releasedFirstOrderId` in store.ts). Callers give up
   * within seconds and the server caps every deadline at 5 minutes, so at least an hour is required:
   * a shorter value (such as `24`, read as 24 ms) would let a late reserve hold stock for a cancelled
   * order again.
   */
  RELEASE_MARKER_RETENTION_MS: durationMsVar(24 * hourMs).refine((ms) => ms >= hourMs, {
    error: "expected at least 1h: markers must outlive any ReserveStock still in flight",
  }),
  /** Pause between two purges of expired release markers; at least a second, so it is never a hot loop. */
  RELEASE_MARKER_PURGE_INTERVAL_MS: durationMsVar(hourMs).refine((ms) => ms >= 1000, {
    error: "expected at least 1s",
  }),
});

export type InventoryConfig = ReturnType<typeof parseInventoryConfig>;

/**
 * Reads the inventory service's settings once at start-up; fails fast naming any bad variable.
 * Why a function per service: each service owns its schema, but every service parses the same way.
 */
export function parseInventoryConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(inventoryEnv, env);
}
