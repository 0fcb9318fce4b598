import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { OrderService } from "@shop/gen/shop/order/v1/order_pb";
import { PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { resolveTokenVerifier } from "@shop/platform/auth/resolve-token-verifier";
import type { TokenVerifier } from "@shop/platform/auth/token-verifier";
import { createUpstream } from "@shop/platform/clients";
import type { Namespace } from "@shop/platform/events/namespace";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { serviceImpl } from "@shop/platform/server/server";
import { startWithResources } from "@shop/platform/service-resources";
import { startServiceRuntime } from "@shop/platform/service-runtime";
import type { OrderConfig } from "./config.js";
import { startOrderEventRelay } from "./events.js";
import { createOrderHandlers } from "./handlers.js";
import { createSagaMetrics } from "./saga/saga-metrics.js";
import { createSagaStepRunner } from "./saga/saga-steps.js";
import { createSagaWorker, type SagaWorker } from "./saga/saga-worker.js";
import { createMongoOrderStore } from "./store/mongo-order-store.js";
import { startOrderMongoEventRelay } from "./store/mongo-outbox-relay.js";
import type { OrderStore } from "./store/order-store.js";
import { createPostgresOrderStore } from "./store/postgres-order-store.js";

export interface OrderServiceDeps {
  /** Verifies bearer tokens; defaults to the user service's public keys from USER_SERVICE_URL. */
  readonly verifier?: TokenVerifier;
  readonly logger?: Logger;
  /** JetStream namespace of the published events, instead of EVENTS_NAMESPACE; tests pass a unique one. */
  readonly eventsNamespace?: Namespace;
  /**
   * When false, placed orders are not driven and no resumption scan runs: tests drive the saga step
   * by step through `worker`. Default true.
   */
  readonly autoDrive?: boolean;
  /** Saga worker id (unique per process by default). */
  readonly workerId?: string;
}

export interface RunningOrderService {
  readonly port: number;
  readonly logger: Logger;
  readonly store: OrderStore;
  readonly worker: SagaWorker;
  shutdown(): Promise<void>;
}

/**
 * Starts the order service: its store (MongoDB when MONGO_URL is set, else Postgres) with its outbox
 * relay when NATS_URL is set, clients of cart, product, inventory and payment, the saga worker (which
 * at once resumes orders left behind by a previous crash), and the OrderService server.
 */
export async function startOrderService(
  config: OrderConfig,
  deps: OrderServiceDeps = {},
): Promise<RunningOrderService> {
  const logger = deps.logger ?? createLogger({ service: "order", level: config.LOG_LEVEL });
  const namespace = deps.eventsNamespace ?? config.EVENTS_NAMESPACE;
  // Created before the relay and the upstream clients, so they record on the registry /metrics serves.
  const metrics = createMetrics({ service: "order" });
  const relayOptions = { ...(namespace === undefined ? {} : { namespace }), registry: metrics.registry };
  return startWithResources(logger, async (resources) => {
    const deferAll = (hooks: Array<() => unknown>) => {
      for (const hook of hooks.reverse()) resources.defer(hook);
    };
    let store: OrderStore;
    if (config.MONGO_URL !== undefined) {
      const mongoStore = await createMongoOrderStore({ url: config.MONGO_URL, databaseName: "shop_order" });
      store = mongoStore;
      resources.defer(() => mongoStore.close());
      if (config.NATS_URL !== undefined) {
        deferAll(
          await startOrderMongoEventRelay({
            mongoUrl: config.MONGO_URL,
            databaseName: "shop_order",
            natsUrl: config.NATS_URL,
            logger,
            ...relayOptions,
          }),
        );
      }
    } else {
      const pgStore = await createPostgresOrderStore({ url: config.DATABASE_URL, logger });
      store = pgStore;
      resources.defer(() => pgStore.close());
      if (config.NATS_URL !== undefined) {
        deferAll(
          await startOrderEventRelay({
            natsUrl: config.NATS_URL,
            sql: pgStore.sql,
            logger,
            ...relayOptions,
          }),
        );
      }
    }

    const verifier = resolveTokenVerifier(config, deps.verifier, { logger, resources, metrics });

    const upstream = (name: string, baseUrl: string, timeoutMs: number) => {
      const created = createUpstream({
        upstream: name,
        baseUrl,
        logger,
        metrics,
        timeoutMs,
        retry: { maxAttempts: config.UPSTREAM_RETRY_ATTEMPTS },
      });
      resources.defer(() => created.close());
      return created;
    };
    const cart = upstream("cart", config.CART_URL, config.UPSTREAM_TIMEOUT_MS).client(CartService);
    const product = upstream("product", config.PRODUCT_URL, config.UPSTREAM_TIMEOUT_MS).client(
      ProductService,
    );
    const inventory = upstream("inventory", config.INVENTORY_URL, config.SAGA_STEP_TIMEOUT_MS).client(
      InventoryService,
    );
    const payment = upstream("payment", config.PAYMENT_URL, config.SAGA_STEP_TIMEOUT_MS).client(
      PaymentService,
    );

    const sagaMetrics = createSagaMetrics(metrics.registry);
    const worker = createSagaWorker({
      metrics: sagaMetrics,
      store,
      runStep: createSagaStepRunner({ inventory, payment }, config.SAGA_STEP_TIMEOUT_MS),
      logger,
      policy: { maxStepAttempts: config.SAGA_MAX_STEP_ATTEMPTS },
      leaseMs: config.SAGA_LEASE_SECONDS * 1000,
      retryDelayMs: config.SAGA_RETRY_DELAY_MS,
      scanIntervalMs: config.SAGA_SCAN_INTERVAL_MS,
      ...(deps.workerId === undefined ? {} : { workerId: deps.workerId }),
    });
    const autoDrive = deps.autoDrive ?? true;
    // The worker stops first on shutdown: in-flight steps persist before the store closes.
    resources.defer(() => worker.stop());

    const handlers = createOrderHandlers({
      store,
      worker: autoDrive ? worker : { kick: () => {} },
      cart,
      product,
    });
    const runtime = await startServiceRuntime({
      name: "order",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      metricsPort: config.METRICS_PORT,
      host: config.HOST,
      metrics,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      services: [serviceImpl(OrderService, handlers)],
      auth: verifier,
      onShutdown: [() => resources.close()],
      logger,
    });
    if (autoDrive) worker.start();
    return { port: runtime.port, logger, store, worker, shutdown: () => runtime.shutdown() };
  });
}
