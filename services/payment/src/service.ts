import { fileURLToPath } from "node:url";
import { PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { resolveTokenVerifier } from "@shop/platform/auth/resolve-token-verifier";
import type { TokenVerifier } from "@shop/platform/auth/token-verifier";
import type { Namespace } from "@shop/platform/events/namespace";
import { writeOutbox } from "@shop/platform/events/outbox";
import { createLogger, type Logger } from "@shop/platform/log";
import { createMetrics } from "@shop/platform/metrics";
import { serviceImpl } from "@shop/platform/server/server";
import { openServiceDatabase } from "@shop/platform/service-database";
import { startWithResources } from "@shop/platform/service-resources";
import { startServiceRuntime } from "@shop/platform/service-runtime";
import { type CardProvider, createFakeCardProvider } from "./card-provider.js";
import type { PaymentConfig } from "./config.js";
import { startPaymentEventRelay } from "./events-relay.js";
import { createPaymentHandlers } from "./handlers.js";
import { registerOwedRefundMetrics } from "./owed-refund-metrics.js";
import { createOwedRefundStore } from "./owed-refund-store.js";
import { createOwedRefundWorker, type OwedRefundWorker } from "./owed-refund-worker.js";
import { createPaymentStore } from "./store.js";

/** The payment service's committed drizzle-kit migrations (tests migrate a bare database with them). */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

export interface PaymentServiceDeps {
  /** Verifies bearer tokens (GetPayment is owner-only); defaults to the user service's public keys. */
  readonly verifier?: TokenVerifier;
  /** The card provider; the deterministic fake by default. */
  readonly provider?: CardProvider;
  /** A logger to use instead of the service's own (tests capture lines). */
  readonly logger?: Logger;
  /** JetStream namespace of the published events, instead of EVENTS_NAMESPACE; tests pass a unique one. */
  readonly eventsNamespace?: Namespace;
}

export interface RunningPaymentService {
  readonly port: number;
  readonly logger: Logger;
  /** Gives back charges captured for voided orders; tests run its passes directly. */
  readonly owedRefunds: OwedRefundWorker;
  shutdown(): Promise<void>;
}

/**
 * Starts the payment service: migrates its database (payments and the platform's outbox tables),
 * starts the outbox relay when NATS_URL is set, serves PaymentService on the platform runtime with
 * authentication on, then starts the worker that gives back refunds owed for voided orders. Used by
 * main.ts, tests and `npm start` alike.
 */
export async function startPaymentService(
  config: PaymentConfig,
  deps: PaymentServiceDeps = {},
): Promise<RunningPaymentService> {
  const logger = deps.logger ?? createLogger({ service: "payment", level: config.LOG_LEVEL });
  // Created before the relay starts, so its lag and backlog land on the registry /metrics serves.
  const metrics = createMetrics({ service: "payment" });
  return startWithResources(logger, async (resources) => {
    const pg = await openServiceDatabase({ url: config.DATABASE_URL, logger, migrationsFolder });
    resources.defer(() => pg.close());
    const verifier = resolveTokenVerifier(config, deps.verifier, { logger, resources, metrics });
    if (config.NATS_URL !== undefined) {
      const namespace = deps.eventsNamespace ?? config.EVENTS_NAMESPACE;
      const relayHooks = await startPaymentEventRelay({
        natsUrl: config.NATS_URL,
        sql: pg.sql,
        logger,
        registry: metrics.registry,
        ...(namespace === undefined ? {} : { namespace }),
      });
      for (const hook of relayHooks.reverse()) resources.defer(hook);
    }
    const store = createPaymentStore(pg.db, (tx, event) => writeOutbox(tx, event));
    const provider = deps.provider ?? createFakeCardProvider();
    const owedRefundStore = createOwedRefundStore(pg.db, {
      chargeInFlightMs: config.CARD_CHARGE_TIMEOUT_MS + config.CHARGE_IN_FLIGHT_MARGIN_MS,
    });
    registerOwedRefundMetrics(metrics.registry, () => owedRefundStore.countPending());
    const owedRefunds = createOwedRefundWorker({
      store: owedRefundStore,
      provider,
      logger,
      backoff: { baseDelayMs: config.OWED_REFUND_RETRY_BASE_MS, maxDelayMs: config.OWED_REFUND_RETRY_MAX_MS },
      scanIntervalMs: config.OWED_REFUND_SCAN_INTERVAL_MS,
    });
    // Stops before the pool closes, so a pass in flight settles its row.
    resources.defer(() => owedRefunds.stop());
    const handlers = createPaymentHandlers({
      store,
      provider,
      owedRefunds,
      chargeTimeoutMs: config.CARD_CHARGE_TIMEOUT_MS,
    });
    const runtime = await startServiceRuntime({
      name: "payment",
      port: config.PORT,
      logLevel: config.LOG_LEVEL,
      metricsPort: config.METRICS_PORT,
      host: config.HOST,
      metrics,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      services: [serviceImpl(PaymentService, handlers)],
      auth: verifier,
      onShutdown: [() => resources.close()],
      logger,
    });
    // The first pass at once: refunds a previous process owed (it crashed, or the provider failed) go out now.
    owedRefunds.start();
    return { port: runtime.port, logger, owedRefunds, shutdown: () => runtime.shutdown() };
  });
}
