import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

const ttlMessage = "expected a whole number of seconds between 60 and 31536000";

/** The cart service's environment. */
export const cartEnv = z.object({
  ...commonServiceEnv,
  ...authServiceEnv,
  ...eventsServiceEnv,
  PORT: portVar(8004),
  REDIS_URL: urlVar("redis://127.0.0.1:6379"),
  /** Prepended to every key; lets several deployments (or test runs) share one Redis. */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{0,64}$/, { error: "expected up to 64 letters, digits, ':', '_' or '-'" })
    .default(""),
  /** A cart expires this long after its last change. Seven days by default. */
  CART_TTL_SECONDS: z.coerce
    .number({ error: ttlMessage })
    .int({ error: ttlMessage })
    .min(60, { error: ttlMessage })
    .max(31_536_000, { error: ttlMessage })
    .default(7 * 24 * 3600),
  /** Where the product service (or its sidecar) listens: AddItem checks products exist there. */
  PRODUCT_URL: urlVar("http://127.0.0.1:8002"),
  /** Deadline of one product lookup, retries included. */
  PRODUCT_TIMEOUT_MS: durationMsVar(1000),
  /** JetStream for CartCleared; unset means ClearCart publishes nothing. */
  NATS_URL: urlVar().optional(),
});

export type CartConfig = ReturnType<typeof parseCartConfig>;

/**
 * Reads the cart service's settings once at start-up; fails fast naming any bad variable, so a
 * misconfigured deployment stops at boot instead of failing requests later.
 */
export function parseCartConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(cartEnv, env);
}
