import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

/** The environment of the payment service. */
export const paymentEnv = z.object({
  ...commonServiceEnv,
  /** USER_SERVICE_URL, JWT_ISSUER, JWT_AUDIENCE: where the keys that verify bearer tokens come from. */
  ...authServiceEnv,
  ...eventsServiceEnv,
  PORT: portVar(8005),
  DATABASE_URL: urlVar("postgres://postgres@127.0.0.1:5432/shop_payment"),
  /** JetStream for the outbox relay; unset means events stay in the outbox until a relay runs. */
  NATS_URL: urlVar().optional(),
  /** How often the service looks for owed refunds (charges captured for voided orders) due for another try. */
  OWED_REFUND_SCAN_INTERVAL_MS: durationMsVar(5000),
  /** Wait after an owed refund's first failed attempt; doubles per failure (with jitter) up to the max. */
  OWED_REFUND_RETRY_BASE_MS: durationMsVar(1000),
  OWED_REFUND_RETRY_MAX_MS: durationMsVar(10 * 60_000),
});

export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;

/** Reads the payment service's environment once at start-up; throws ConfigError naming bad variables. */
export function loadPaymentConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(paymentEnv, env);
}
