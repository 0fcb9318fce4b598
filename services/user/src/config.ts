import { defaultTokenAudience, defaultTokenIssuer } from "@shop/platform/auth/config";
import { commonServiceEnv, durationMsVar, parseConfig, portVar, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

const positiveInt = (fallback: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer between 1 and ${max}` })
    .int({ error: `expected an integer between 1 and ${max}` })
    .min(1, { error: `expected an integer between 1 and ${max}` })
    .max(max, { error: `expected an integer between 1 and ${max}` })
    .default(fallback);

/** The user service's environment. */
export const userEnv = z
  .object({
    ...commonServiceEnv,
    ...eventsServiceEnv,
    PORT: portVar(8001),
    DATABASE_URL: urlVar("postgres://postgres@127.0.0.1:5432/shop_user"),
    /** `iss` of the tokens this service signs; verifiers across the mesh must expect the same value. */
    /**
     * JetStream for the outbox relay that publishes UserRegistered. Unset: events are still recorded
     * in the outbox table (with the account) and leave once a relay runs.
     */
    NATS_URL: urlVar().optional(),
    JWT_ISSUER: z.string().min(1).default(defaultTokenIssuer),
    /** `aud` of the tokens this service signs. */
    JWT_AUDIENCE: z.string().min(1).default(defaultTokenAudience),
    ACCESS_TOKEN_TTL_MS: durationMsVar(60 * 60_000),
    /** argon2id cost. Defaults follow OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane). */
    ARGON2_MEMORY_KIB: positiveInt(19_456, 4_194_304),
    ARGON2_TIME_COST: positiveInt(2, 100),
    ARGON2_PARALLELISM: positiveInt(1, 16),
    /**
     * 32 bytes, base64, that encrypt the private signing keys at rest (AES-256-GCM). Unset stores
     * them unencrypted, which is only acceptable on a developer machine.
     */
    SIGNING_KEY_ENCRYPTION_KEY: z
      .string()
      .refine((value) => Buffer.from(value, "base64").length === 32, {
        error: "expected 32 bytes encoded as base64",
      })
      .optional(),
    /** Both set: the account is created (or promoted) as an admin at start-up. */
    SHOP_ADMIN_EMAIL: z.string().optional(),
    SHOP_ADMIN_PASSWORD: z.string().optional(),
  })
  .refine((env) => (env.SHOP_ADMIN_EMAIL === undefined) === (env.SHOP_ADMIN_PASSWORD === undefined), {
    error: "set both SHOP_ADMIN_EMAIL and SHOP_ADMIN_PASSWORD, or neither",
    path: ["SHOP_ADMIN_PASSWORD"],
  })
  .refine((env) => env.ACCESS_TOKEN_TTL_MS >= 1000, {
    error: "expected at least one second",
    path: ["ACCESS_TOKEN_TTL_MS"],
  });

export type UserConfig = ReturnType<typeof parseUserConfig>;

/**
 * Reads the user service's settings once at start-up; fails fast naming any bad variable.
 * Why here: nothing else in the service reads the environment, so tests pass a plain object.
 */
export function parseUserConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(userEnv, env);
}
