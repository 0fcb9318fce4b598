import { authServiceEnv } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

const maxDeliverMessage = "expected a whole number of deliveries between 1 and 100";

/** The notification service's environment. */
export const notificationEnv = z.object({
  ...commonServiceEnv,
  ...authServiceEnv,
  ...eventsServiceEnv,
  PORT: portVar(8007),
  DATABASE_URL: urlVar("postgres://postgres@127.0.0.1:5432/shop_notification"),
  /** JetStream: the service consumes order outcomes from it, so it is required (with a local default). */
  NATS_URL: urlVar("nats://127.0.0.1:4222"),
  /** Deliveries of an order event before it is parked in the dead-letter stream. */
  EVENT_MAX_DELIVER: z.coerce
    .number({ error: maxDeliverMessage })
    .int({ error: maxDeliverMessage })
    .min(1, { error: maxDeliverMessage })
    .max(100, { error: maxDeliverMessage })
    .default(5),
  /** Delay before the first redelivery of a failed event; doubles per attempt up to EVENT_RETRY_MAX_MS. */
  EVENT_RETRY_INITIAL_MS: durationMsVar(1_000),
  EVENT_RETRY_MAX_MS: durationMsVar(60_000),
});

export type NotificationConfig = ReturnType<typeof parseNotificationConfig>;

/**
 * Reads the notification service's settings once at start-up; fails fast naming any bad variable, so
 * a misconfigured deployment stops at boot instead of dead-lettering events later.
 */
export function parseNotificationConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(notificationEnv, env);
}
