import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, parseConfig, portVar, urlVar } from "@shop/platform/config";
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
});

export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;

/** Reads the payment service's environment once at start-up; throws ConfigError naming bad variables. */
export function loadPaymentConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(paymentEnv, env);
}
