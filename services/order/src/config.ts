import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

const attemptsMessage = "expected a whole number between 1 and 100";
const leaseMessage = "expected a whole number of seconds between 1 and 3600";

/** The order service's environment. */
export const orderEnv = z.object({
  ...commonServiceEnv,
  /** USER_SERVICE_URL, JWT_ISSUER, JWT_AUDIENCE: where the keys that verify bearer tokens come from. */
  ...authServiceEnv,
  ...eventsServiceEnv,
  PORT: portVar(8003),
  /** The Postgres store, used when MONGO_URL is unset (locally and in CI). */
  DATABASE_URL: urlVar("postgres://postgres@127.0.0.1:5432/shop_order"),
  /** The MongoDB store (a replica set), the deployed default; when set it replaces Postgres. */
  MONGO_URL: urlVar().optional(),
  CART_URL: urlVar("http://127.0.0.1:8004"),
  PRODUCT_URL: urlVar("http://127.0.0.1:8002"),
  INVENTORY_URL: urlVar("http://127.0.0.1:8006"),
  PAYMENT_URL: urlVar("http://127.0.0.1:8005"),
  /** JetStream for the outbox relay; unset means events stay in the outbox until a relay runs. */
  NATS_URL: urlVar().optional(),
  /** Deadline of PlaceOrder's calls to the cart and product services, retries included. */
  UPSTREAM_TIMEOUT_MS: durationMsVar(2000),
  /** Deadline of one saga step's RPC (reserve, charge, commit, release, refund), retries included. */
  SAGA_STEP_TIMEOUT_MS: durationMsVar(5000),
  /** A forward step failing transiently this many times in a row cancels the order (compensation). */
  SAGA_MAX_STEP_ATTEMPTS: z.coerce
    .number({ error: attemptsMessage })
    .int({ error: attemptsMessage })
    .min(1, { error: attemptsMessage })
    .max(100, { error: attemptsMessage })
    .default(4),
  /** How long a worker owns an order it drives; a crashed worker's orders resume after this. */
  SAGA_LEASE_SECONDS: z.coerce
    .number({ error: leaseMessage })
    .int({ error: leaseMessage })
    .min(1, { error: leaseMessage })
    .max(3600, { error: leaseMessage })
    .default(30),
  /** Pause before retrying a transiently failed step (grows with the attempts). */
  SAGA_RETRY_DELAY_MS: durationMsVar(500),
  /** How often to look for sagas left behind by crashed instances. */
  SAGA_SCAN_INTERVAL_MS: durationMsVar(5000),
});

export type OrderConfig = ReturnType<typeof parseOrderConfig>;

/** Reads the order service's settings once at start-up; fails fast naming any bad variable. */
export function parseOrderConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(orderEnv, env);
}
