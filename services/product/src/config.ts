import { authServiceEnv } from "@shop/platform/auth/config";
import {
  commonServiceEnv,
  type DeepReadonly,
  durationMsVar,
  parseConfig,
  portVar,
  urlVar,
} from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

/** gRPC's customary limit on one message; the catalog's largest message (a page of 100) is far below. */
const defaultMaxMessageBytes = 4 * 1024 * 1024;

/** The product service's environment: the common variables plus its port, database and limits. */
export const productEnvSchema = z.object({
  ...commonServiceEnv,
  /** USER_SERVICE_URL, JWT_ISSUER, JWT_AUDIENCE: where the keys that verify bearer tokens come from. */
  ...authServiceEnv,
  ...eventsServiceEnv,
  PORT: portVar(8002),
  DATABASE_URL: urlVar("postgres://postgres@127.0.0.1:5432/shop_product"),
  /** JetStream for the outbox relay; unset means events stay in the outbox until a relay runs. */
  NATS_URL: urlVar().optional(),
  /** Largest request message accepted, in bytes; larger ones get RESOURCE_EXHAUSTED. */
  MAX_MESSAGE_BYTES: z.coerce
    .number({ error: "expected a number of bytes" })
    .int({ error: "expected a whole number of bytes" })
    .min(1024, { error: "expected at least 1024 bytes" })
    .default(defaultMaxMessageBytes),
  /** How long health reports NOT_SERVING on shutdown before connections close (balancers notice). */
  DRAIN_DELAY_MS: durationMsVar(0),
});

export type ProductConfig = DeepReadonly<z.output<typeof productEnvSchema>>;

/**
 * Reads the product service's configuration from the environment once, at start-up, failing with a
 * message that names every bad variable. Why here: nothing else in the service reads `process.env`.
 */
export function loadProductConfig(env: Record<string, string | undefined> = process.env): ProductConfig {
  return parseConfig(productEnvSchema, env);
}
