import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { resolveTokenVerifier } from "@shop/platform/auth/resolve-token-verifier";
import type { TokenVerifier } from "@shop/platform/auth/token-verifier";
import { createUpstream } from "@shop/platform/clients";
import { connectJetStream } from "@shop/platform/events/connection";
import type { Namespace } from "@shop/platform/events/namespace";
import { domainStream, ensureStreams } from "@shop/platform/events/streams";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { serviceImpl } from "@shop/platform/server/server";
import { startWithResources } from "@shop/platform/service-resources";
import { startServiceRuntime } from "@shop/platform/service-runtime";
import { Redis } from "ioredis";
import { createCatalog } from "./catalog.js";
import type { CartConfig } from "./config.js";
import { type CartEvents, createCartEvents } from "./events.js";
import { createCartHandlers } from "./handlers.js";
import { createCartStore } from "./store.js";
import { withRedisAvailability } from "./store-availability.js";
import { cartLimits } from "./validation.js";

export interface CartServiceDeps {
  /**
   * Verifies bearer tokens: every cart method needs the caller's identity. Defaults to the user
   * service's public keys fetched from USER_SERVICE_URL; tests pass a local issuer's verifier.
   */
  readonly verifier?: TokenVerifier;
  /** A logger to use instead of the service's own (tests capture lines). */
  readonly logger?: Logger;
  /** JetStream namespace of the published events, instead of EVENTS_NAMESPACE; tests pass a unique one. */
  readonly eventsNamespace?: Namespace;
}

export interface RunningCartService {
  readonly port: number;
  readonly logger: Logger;
  shutdown(): Promise<void>;
}

/**
 * Starts the cart service: connects to Redis (failing fast when it is unreachable), builds the
 * product-service client, connects to JetStream for CartCleared when NATS_URL is set, and serves
 * CartService on the platform runtime with authentication on.
 * One entry point for main.ts, tests and `npm start`, so all three run the same wiring.
 */
export async function startCartService(
  config: CartConfig,
  deps: CartServiceDeps = {},
): Promise<RunningCartService> {
  const logger = deps.logger ?? createLogger({ service: "cart", level: config.LOG_LEVEL });
  // Created before the upstream clients, so their calls and breaker state land on /metrics.
  const metrics = createMetrics({ service: "cart" });
  return startWithResources(logger, async (resources) => {
    const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
    redis.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    resources.defer(() => redis.quit().catch(() => redis.disconnect()));
    const products = createUpstream({
      upstream: "product",
      baseUrl: config.PRODUCT_URL,
      timeoutMs: config.PRODUCT_TIMEOUT_MS,
      logger,
      metrics,
      retry: { maxAttempts: config.UPSTREAM_RETRY_ATTEMPTS },
    });
    resources.defer(() => products.close());
    const verifier = resolveTokenVerifier(config, deps.verifier, { logger, resources, metrics });
    let events: CartEvents | undefined;
    if (config.NATS_URL !== undefined) {
      const nats = await connectJetStream({ url: config.NATS_URL, name: "cart", logger });
      resources.defer(() => nats.close());
      const eventsNamespace = deps.eventsNamespace ?? config.EVENTS_NAMESPACE;
      const namespace = eventsNamespace === undefined ? {} : { namespace: eventsNamespace };
      await ensureStreams(nats.jsm, [domainStream("cart")], namespace);
      events = createCartEvents({ js: nats.js, logger, ...namespace });
    }
    const store = createCartStore({
      redis,
      keyPrefix: config.REDIS_KEY_PREFIX,
      ttlSeconds: config.CART_TTL_SECONDS,
      maxQuantityPerLine: cartLimits.maxQuantityPerLine,
      maxLines: cartLimits.maxLines,
      maxIdempotencyKeys: cartLimits.maxIdempotencyKeys,
    });
    const available = withRedisAvailability(store, logger);
    const catalog = createCatalog(products.client(ProductService), logger);
    const runtime = await startServiceRuntime({
      name: "cart",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      metricsPort: config.METRICS_PORT,
      host: config.HOST,
      metrics,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      services: [serviceImpl(CartService, createCartHandlers(available, catalog, events))],
      auth: verifier,
      onShutdown: [() => resources.close()],
      logger,
    });
    return { port: runtime.port, logger, shutdown: () => runtime.shutdown() };
  });
}
