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
  /**
   * The deadline of a Charge's call to the card provider, counted from just before the charge attempt
   * is recorded: past it the Charge stops waiting and answers UNAVAILABLE (it is not asked at all
   * when the deadline passed before the call). With the margin below it bounds how long a charge can
   * still capture, which is when the provider's "nothing captured" for it becomes final.
   */
  CARD_CHARGE_TIMEOUT_MS: durationMsVar(10_000).refine((ms) => ms >= 1, {
    error: "expected a duration of at least 1 ms",
  }),
  /**
   * How long after its deadline a charge may still capture: a request the provider was still working
   * on when the Charge gave up on it, and the wall clock stepping (an NTP correction) while a charge is
   * in flight, on this service (the deadline is read from Date.now()) or on the database (the charge's
   * start and the check against it are both its now(); the two clocks are never compared). At least a
   * second: with none, a provider that answers a moment late would reopen the hole the bound closes. Every replica must run the same value and
   * CARD_CHARGE_TIMEOUT_MS: the worker judges another replica's charges by its own settings.
   */
  CHARGE_IN_FLIGHT_MARGIN_MS: durationMsVar(60_000).refine((ms) => ms >= 1000, {
    error: "expected at least 1s",
  }),
});

export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;

/** Reads the payment service's environment once at start-up; throws ConfigError naming bad variables. */
export function loadPaymentConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(paymentEnv, env);
}
