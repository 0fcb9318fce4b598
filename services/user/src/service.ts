import { fileURLToPath } from "node:url";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { createKeySet } from "@shop/platform/auth/key-set";
import { createTokenVerifier, type TokenVerifier } from "@shop/platform/auth/token-verifier";
import { startServiceEvents } from "@shop/platform/events/service-events";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { serviceImpl } from "@shop/platform/server/server";
import { openServiceDatabase } from "@shop/platform/service-database";
import { startWithResources } from "@shop/platform/service-resources";
import { startServiceRuntime } from "@shop/platform/service-runtime";
import { createAccessTokenIssuer } from "./access-tokens.js";
import type { UserConfig } from "./config.js";
import { recordUserRegistered } from "./events.js";
import { createUserHandlers } from "./handlers.js";
import { createKeyEncryption } from "./key-encryption.js";
import { createPasswordHasher } from "./passwords.js";
import { ensureAdmin } from "./seed-admin.js";
import { createSigningKeys } from "./signing-keys.js";
import { createUserStore } from "./store.js";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface UserServiceOverrides {
  /** A logger to use instead of the service's own (tests capture lines). */
  readonly logger?: Logger;
}

export interface RunningUserService {
  readonly port: number;
  readonly logger: Logger;
  /** Verifies this service's tokens with its own keys (no network); for tests and co-located code. */
  readonly verifier: TokenVerifier;
  /**
   * Retires the signing key and signs with a new one from now on; tokens of the old key keep
   * verifying until they expire. Returns the new key id.
   */
  rotateSigningKey(): Promise<string>;
  shutdown(): Promise<void>;
}

/**
 * Starts the user service: migrates its database, creates the first signing key when there is none,
 * seeds the admin account when configured, then serves UserService on the platform runtime with
 * authentication on. One entry point for main.ts, tests and `npm start`.
 *
 * The service verifies tokens with its own keys, read from its database, instead of calling its own
 * GetPublicKeys over the network.
 */
export async function startUserService(
  config: UserConfig,
  overrides: UserServiceOverrides = {},
): Promise<RunningUserService> {
  const logger = overrides.logger ?? createLogger({ service: "user", level: config.LOG_LEVEL });
  // Created before the relay starts, so its lag and backlog land on the registry /metrics serves.
  const metrics = createMetrics({ service: "user" });
  return startWithResources(logger, async (resources) => {
    const pg = await openServiceDatabase({ url: config.DATABASE_URL, logger, migrationsFolder });
    resources.defer(() => pg.close());
    const encryptionKey = config.SIGNING_KEY_ENCRYPTION_KEY;
    const keys = createSigningKeys(pg.db, {
      encryption: createKeyEncryption(encryptionKey ? Buffer.from(encryptionKey, "base64") : undefined),
      tokenTtlMs: config.ACCESS_TOKEN_TTL_MS,
    });
    await keys.ensureActiveKey();
    if (!encryptionKey)
      logger.warn("SIGNING_KEY_ENCRYPTION_KEY is not set: private signing keys are stored unencrypted");

    const store = createUserStore(pg.db);
    const hasher = await createPasswordHasher({
      memoryKib: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    });
    if (config.SHOP_ADMIN_EMAIL !== undefined && config.SHOP_ADMIN_PASSWORD !== undefined) {
      const admin = await ensureAdmin({ store, hasher }, config.SHOP_ADMIN_EMAIL, config.SHOP_ADMIN_PASSWORD);
      logger.info({ user_id: admin.id }, "admin account ready");
    }

    // An unknown kid is refetched at once (other verifiers wait 10 s between such refetches): a key
    // rotated by the operator command is then known to GetMe from the first token it signed, and a
    // forged kid costs one read of this service's own database, as GetMe itself does, not a network call.
    const keySet = createKeySet({
      fetchKeys: () => keys.publicKeys(),
      maxAgeMs: 60_000,
      minRefreshIntervalMs: 0,
    });
    await keySet.refresh();
    const verifier = createTokenVerifier({
      keys: keySet,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
    const tokens = createAccessTokenIssuer({
      keys,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlMs: config.ACCESS_TOKEN_TTL_MS,
    });

    if (config.NATS_URL !== undefined) {
      const events = await startServiceEvents({
        natsUrl: config.NATS_URL,
        domain: "user",
        sql: pg.sql,
        logger,
        registry: metrics.registry,
        ...(config.EVENTS_NAMESPACE === undefined ? {} : { namespace: config.EVENTS_NAMESPACE }),
      });
      resources.defer(() => events.stop());
    }

    const runtime = await startServiceRuntime({
      name: "user",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      metricsPort: config.METRICS_PORT,
      host: config.HOST,
      metrics,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      services: [
        serviceImpl(
          UserService,
          createUserHandlers({ store, hasher, tokens, keys, onRegistered: recordUserRegistered }),
        ),
      ],
      auth: verifier,
      onShutdown: [() => resources.close()],
      logger,
    });
    return {
      port: runtime.port,
      logger,
      verifier,
      async rotateSigningKey() {
        const kid = await keys.rotate();
        await keySet.refresh();
        logger.info({ kid }, "signing key rotated");
        return kid;
      },
      shutdown: () => runtime.shutdown(),
    };
  });
}
