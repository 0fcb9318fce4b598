import { fileURLToPath } from "node:url";
import { NotificationService } from "@shop/gen/shop/notification/v1/notification_pb";
import { resolveTokenVerifier } from "@shop/platform/auth/resolve-token-verifier";
import type { TokenVerifier } from "@shop/platform/auth/token-verifier";
import { createLogger, type Logger } from "@shop/platform/log";
import { serviceImpl } from "@shop/platform/server/server";
import { openServiceDatabase } from "@shop/platform/service-database";
import { startWithResources } from "@shop/platform/service-resources";
import { startServiceRuntime } from "@shop/platform/service-runtime";
import type { NotificationConfig } from "./config.js";
import { startNotificationEvents } from "./events.js";
import { createNotificationHandlers } from "./handlers.js";
import { createNotificationStore } from "./store.js";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface NotificationServiceOverrides {
  /**
   * Verifies bearer tokens (ListNotifications needs the caller's identity). Defaults to the user
   * service's public keys fetched from USER_SERVICE_URL; tests pass a local issuer's verifier.
   */
  readonly verifier?: TokenVerifier;
  /** A logger to use instead of the service's own (tests capture lines). */
  readonly logger?: Logger;
}

export interface RunningNotificationService {
  readonly port: number;
  readonly logger: Logger;
  /** Graceful stop: gRPC drains, then the consumers stop, then the relay, NATS, and the database. */
  shutdown(): Promise<void>;
}

/**
 * Starts the notification service: migrates its database (notifications, and the platform's outbox
 * and processed_events tables), serves NotificationService on the platform runtime with
 * authentication on, then ensures the streams and starts the order outcome consumers (whose pending
 * counts are exported on the runtime's metrics) and the outbox relay.
 * One entry point for main.ts, tests and `npm start`, so all three run exactly the same wiring.
 */
export async function startNotificationService(
  config: NotificationConfig,
  overrides: NotificationServiceOverrides = {},
): Promise<RunningNotificationService> {
  const logger = overrides.logger ?? createLogger({ service: "notification", level: config.LOG_LEVEL });
  return startWithResources(logger, async (resources) => {
    const pg = await openServiceDatabase({ url: config.DATABASE_URL, logger, migrationsFolder });
    resources.defer(() => pg.close());
    const verifier = resolveTokenVerifier(config, overrides.verifier, { logger, resources });
    const store = createNotificationStore(pg.db);
    const runtime = await startServiceRuntime({
      name: "notification",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      metricsPort: config.METRICS_PORT,
      host: config.HOST,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      services: [serviceImpl(NotificationService, createNotificationHandlers(store))],
      auth: verifier,
      onShutdown: [() => resources.close()],
      logger,
    });
    try {
      // Started once the runtime exists, so the consumers report their backlog on its registry.
      const eventHooks = await startNotificationEvents({
        natsUrl: config.NATS_URL,
        pg,
        store,
        logger,
        ...(config.EVENTS_NAMESPACE === undefined ? {} : { namespace: config.EVENTS_NAMESPACE }),
        maxDeliver: config.EVENT_MAX_DELIVER,
        backoff: { initialMs: config.EVENT_RETRY_INITIAL_MS, maxMs: config.EVENT_RETRY_MAX_MS },
        metricsRegistry: runtime.metrics.registry,
      });
      for (const hook of eventHooks.reverse()) resources.defer(hook);
    } catch (error) {
      await runtime.shutdown();
      throw error;
    }
    return { port: runtime.port, logger, shutdown: () => runtime.shutdown() };
  });
}
