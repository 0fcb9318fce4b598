import { fileURLToPath } from "node:url";
import { logLevelVar, parseConfig, urlVar } from "@shop/platform/config";
import { eventsServiceEnv } from "@shop/platform/events/config";
import { z } from "zod";

/** The highest default port (the edge's); every port is shifted by the offset. */
const highestDefaultPort = 8080;
const maxPortOffset = 65535 - highestDefaultPort;
const offsetMessage = `expected a whole number between 0 and ${maxPortOffset}`;

/** The environment of `npm start` (the orchestrator, not a service). */
export const startEnv = z.object({
  /** A Postgres URL allowed to create databases; its database name is only used to connect. */
  DATABASE_URL: urlVar("postgres://postgres:postgres@127.0.0.1:5432/postgres"),
  NATS_URL: urlVar("nats://127.0.0.1:4222"),
  REDIS_URL: urlVar("redis://127.0.0.1:6379"),
  /** MongoDB for the order service; unset means its Postgres store. */
  MONGO_URL: urlVar().optional(),
  SHOP_ADMIN_EMAIL: z.string().min(3).default("admin@shop.local"),
  SHOP_ADMIN_PASSWORD: z.string().min(8).default("admin-password-change-me"),
  LOG_LEVEL: logLevelVar,
  /**
   * Added to every default port (services 8001–8007, edge 8080), so a second copy of the system
   * (an end-to-end test, a demo next to a dev run) can run on the same machine.
   */
  SHOP_PORT_OFFSET: z.coerce
    .number({ error: offsetMessage })
    .int({ error: offsetMessage })
    .min(0, { error: offsetMessage })
    .max(maxPortOffset, { error: offsetMessage })
    .default(0),
  /** Databases are named `<prefix><service>` (`shop_user`, …); another prefix is another system. */
  SHOP_DB_PREFIX: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,40}$/, {
      error: "expected a lower-case letter or '_', then up to 40 lower-case letters, digits or '_'",
    })
    .default("shop_"),
  /** Prepended to the Redis keys of the cart service and the edge's rate-limit buckets. */
  SHOP_REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{0,40}$/, { error: "expected up to 40 letters, digits, ':', '_' or '-'" })
    .default(""),
  /**
   * Prefix of every JetStream stream and subject of this system (each service's EVENTS_NAMESPACE).
   * Empty by default; another value is another, separate event bus on the same NATS server.
   */
  SHOP_EVENTS_NAMESPACE: eventsServiceEnv.EVENTS_NAMESPACE,
  /** Where an embedded Postgres or a started nats-server keep their data. */
  SHOP_DATA_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL("../../.shop-data", import.meta.url))),
});

export type StartConfig = ReturnType<typeof parseStartConfig>;

/**
 * Reads the orchestrator's settings once, failing fast with every bad variable named. Why a schema
 * here too: a typo in `SHOP_PORT_OFFSET` must stop `npm start` with a message, not start a system on
 * ports nobody expects.
 */
export function parseStartConfig(env: Record<string, string | undefined> = process.env) {
  return parseConfig(startEnv, env);
}
