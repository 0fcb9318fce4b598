import { fileURLToPath } from "node:url";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { resolveTokenVerifier } from "@shop/platform/auth/resolve-token-verifier";
import type { TokenVerifier } from "@shop/platform/auth/token-verifier";
import { createUpstream } from "@shop/platform/clients";
import type { Namespace } from "@shop/platform/events/namespace";
import { writeOutbox } from "@shop/platform/events/outbox";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { serviceImpl } from "@shop/platform/server/server";
import { openServiceDatabase } from "@shop/platform/service-database";
import { startWithResources } from "@shop/platform/service-resources";
import { startServiceRuntime } from "@shop/platform/service-runtime";
import { createProductCatalog, type ProductCatalog } from "./catalog.js";
import type { InventoryConfig } from "./config.js";
import { startInventoryEventRelay } from "./events.js";
import { createInventoryHandlers } from "./handlers.js";
import { createReleaseMarkerPurge } from "./release-marker-purge.js";
import { createInventoryStore } from "./store.js";

const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface InventoryServiceDeps {
  /**
   * Verifies bearer tokens (SetStock is admin-only per the proto's `access` option). Defaults to the
   * user service's public keys fetched from USER_SERVICE_URL; tests pass a local issuer's verifier.
   */
  readonly verifier?: TokenVerifier;
  /** A logger to use instead of the service's own (tests capture lines). */
  readonly logger?: Logger;
  /** JetStream namespace of the published events, instead of EVENTS_NAMESPACE; tests pass a unique one. */
  readonly eventsNamespace?: Namespace;
}

export interface RunningInventoryService {
  readonly port: number;
  readonly logger: Logger;
  shutdown(): Promise<void>;
}

/**
 * Starts the inventory service: migrates its database (stock, reservations and the platform's outbox
 * tables), starts the outbox relay when NATS_URL is set, builds the product-service client SetStock
 * checks products with when PRODUCT_URL is set, serves InventoryService on the platform runtime with
 * authentication on, then starts the purge of expired release markers. One entry point for main.ts,
 * tests and `npm start`, so all three run exactly the same wiring.
 */
export async function startInventoryService(
  config: InventoryConfig,
  deps: InventoryServiceDeps = {},
): Promise<RunningInventoryService> {
  const logger = deps.logger ?? createLogger({ service: "inventory", level: config.LOG_LEVEL });
  // Created before the relay and the product client start, so they record on the registry /metrics serves.
  const metrics = createMetrics({ service: "inventory" });
  return startWithResources(logger, async (resources) => {
    const pg = await openServiceDatabase({ url: config.DATABASE_URL, logger, migrationsFolder });
    resources.defer(() => pg.close());
    const verifier = resolveTokenVerifier(config, deps.verifier, { logger, resources, metrics });
    if (config.NATS_URL !== undefined) {
      const namespace = deps.eventsNamespace ?? config.EVENTS_NAMESPACE;
      const events = await startInventoryEventRelay({
        natsUrl: config.NATS_URL,
        sql: pg.sql,
        logger,
        registry: metrics.registry,
        ...(namespace === undefined ? {} : { namespace }),
      });
      resources.defer(() => events.stop());
    }
    let catalog: ProductCatalog | undefined;
    if (config.PRODUCT_URL === undefined) {
      logger.warn("PRODUCT_URL is not set: SetStock does not check that products exist");
    } else {
      const products = createUpstream({
        upstream: "product",
        baseUrl: config.PRODUCT_URL,
        timeoutMs: config.PRODUCT_TIMEOUT_MS,
        logger,
        metrics,
        retry: { maxAttempts: config.UPSTREAM_RETRY_ATTEMPTS },
      });
      resources.defer(() => products.close());
      catalog = createProductCatalog(products.client(ProductService), logger);
    }
    const store = createInventoryStore(pg.db, (tx, event) => writeOutbox(tx, event));
    const releaseMarkers = createReleaseMarkerPurge({
      store,
      logger,
      retentionMs: config.RELEASE_MARKER_RETENTION_MS,
      intervalMs: config.RELEASE_MARKER_PURGE_INTERVAL_MS,
    });
    // Stops before the pool closes, so a pass in flight finishes its batch.
    resources.defer(() => releaseMarkers.stop());
    const runtime = await startServiceRuntime({
      name: "inventory",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      metricsPort: config.METRICS_PORT,
      host: config.HOST,
      metrics,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      services: [serviceImpl(InventoryService, createInventoryHandlers(store, catalog))],
      auth: verifier,
      onShutdown: [() => resources.close()],
      logger,
    });
    // The first pass at once: markers that expired while no inventory process ran go now.
    releaseMarkers.start();
    return { port: runtime.port, logger, shutdown: () => runtime.shutdown() };
  });
}
