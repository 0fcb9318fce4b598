import { fileURLToPath } from "node:url";
import type { Interceptor } from "@connectrpc/connect";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { resolveTokenVerifier } from "@shop/platform/auth/resolve-token-verifier";
import type { TokenVerifier } from "@shop/platform/auth/token-verifier";
import type { Namespace } from "@shop/platform/events/namespace";
import { startServiceEvents } from "@shop/platform/events/service-events";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { serviceImpl } from "@shop/platform/server/server";
import { openServiceDatabase } from "@shop/platform/service-database";
import { startWithResources } from "@shop/platform/service-resources";
import { type ServiceRuntime, startServiceRuntime } from "@shop/platform/service-runtime";
import type { ProductConfig } from "./config.js";
import { recordProductChange } from "./events.js";
import { createProductHandlers } from "./handlers.js";
import * as schema from "./schema.js";
import { createDrizzleProductStore, type ProductStore } from "./store.js";

/** The committed drizzle-kit migrations of this service. */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface ProductServiceOverrides {
  /**
   * Verifies bearer tokens (Create/UpdateProduct need the admin role, per the proto's access option).
   * Defaults to the user service's public keys fetched from USER_SERVICE_URL; tests pass a local one.
   */
  readonly auth?: TokenVerifier;
  /** Extra interceptors after the standard ones (request log, metrics, auth). */
  readonly interceptors?: readonly Interceptor[];
  /** A logger to use instead of the runtime's own (tests capture lines; `npm start` prefixes them). */
  readonly logger?: Logger;
  /** Node process metrics; on by default, off when several services share one process. */
  readonly processMetrics?: boolean;
  /** JetStream namespace of the published events, instead of EVENTS_NAMESPACE; tests pass a unique one. */
  readonly eventsNamespace?: Namespace;
}

/** A running product service: the runtime plus the store, so `npm start` can seed the catalog. */
export interface ProductServiceHandle extends ServiceRuntime {
  readonly store: ProductStore;
}

/**
 * Starts the product service: opens its database, applies pending migrations (the catalog's and the
 * platform's outbox tables), starts the outbox relay to JetStream when NATS_URL is set, and serves
 * ProductService on the standard runtime; shutdown drains calls, stops the relay, then closes the pool.
 *
 * Why one function shared by `main`, tests and `npm start`: all three then run exactly the same
 * wiring, so what the tests prove is what production runs.
 */
export async function startProductService(
  config: ProductConfig,
  overrides: ProductServiceOverrides = {},
): Promise<ProductServiceHandle> {
  const logger = overrides.logger ?? createLogger({ service: "product", level: config.LOG_LEVEL });
  // Created before the relay starts, so its lag and backlog land on the registry /metrics serves.
  const metrics = createMetrics({
    service: "product",
    ...(overrides.processMetrics === undefined ? {} : { processMetrics: overrides.processMetrics }),
  });
  return startWithResources(logger, async (resources) => {
    const postgres = await openServiceDatabase({
      url: config.DATABASE_URL,
      logger,
      schema,
      migrationsFolder,
    });
    resources.defer(() => postgres.close());
    if (config.NATS_URL !== undefined) {
      const namespace = overrides.eventsNamespace ?? config.EVENTS_NAMESPACE;
      const events = await startServiceEvents({
        natsUrl: config.NATS_URL,
        domain: "product",
        sql: postgres.sql,
        logger,
        registry: metrics.registry,
        ...(namespace === undefined ? {} : { namespace }),
      });
      resources.defer(() => events.stop());
    }
    const store = createDrizzleProductStore(postgres.db, recordProductChange);
    const auth = resolveTokenVerifier(config, overrides.auth, { logger, resources, metrics });
    const runtime = await startServiceRuntime({
      name: "product",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      logger,
      metrics,
      services: [serviceImpl(ProductService, createProductHandlers(store))],
      auth,
      onShutdown: [() => resources.close()],
      readMaxBytes: config.MAX_MESSAGE_BYTES,
      drainDelayMs: config.DRAIN_DELAY_MS,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      ...(config.METRICS_PORT === undefined ? {} : { metricsPort: config.METRICS_PORT }),
      host: config.HOST,
      ...(overrides.interceptors ? { interceptors: overrides.interceptors } : {}),
    });
    return { ...runtime, store };
  });
}
