import { z } from "zod";

/**
 * The variable of a service that publishes or consumes events, as a zod shape to spread into its
 * schema: `z.object({ ...commonServiceEnv, ...eventsServiceEnv, NATS_URL: urlVar().optional() })`.
 * Why shared: every service of one system must put its streams and subjects under the same prefix, or
 * consumers never see what publishers send; the rule for a valid prefix is the platform's.
 */
export const eventsServiceEnv = {
  /**
   * Prefix of stream names and subjects. Empty (unset) in production; tests and side-by-side copies of
   * the system set a unique one so runs sharing a NATS server never see each other's events.
   */
  EVENTS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, {
      error: 'expected 1-64 letters, digits, "_" or "-" (no dots or wildcards)',
    })
    .optional(),
};
