/**
 * The whole Shop mesh in this process, for end-to-end tests: the REAL services (user, product,
 * inventory, cart, payment, order, notification) and the edge, each on a free port, each Postgres
 * service on a fresh database, the cart and the edge under a unique Redis key prefix, and every
 * JetStream stream under a unique namespace — so runs overlap without seeing each other's data.
 *
 * Nothing is faked: tokens are signed by the user service and verified everywhere from its public
 * keys, exactly as in production. Tests talk to the edge over HTTP (or to a service over gRPC).
 */

import { setTimeout as delay } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { connectJetStream } from "@shop/platform/events/connection";
import { deleteStreams, shopStreams } from "@shop/platform/events/streams";
import {
  createTestDatabase,
  createTestRedisPrefix,
  type TestDatabase,
  uniqueName,
} from "@shop/platform/testing";
import { parseEdgeConfig } from "../../edge/src/config.js";
import { type Edge, startEdge } from "../../edge/src/service.js";
import { parseCartConfig } from "../../services/cart/src/config.js";
import { startCartService } from "../../services/cart/src/service.js";
import { parseInventoryConfig } from "../../services/inventory/src/config.js";
import { startInventoryService } from "../../services/inventory/src/service.js";
import { parseNotificationConfig } from "../../services/notification/src/config.js";
import { startNotificationService } from "../../services/notification/src/service.js";
import { parseOrderConfig } from "../../services/order/src/config.js";
import { startOrderService } from "../../services/order/src/service.js";
import { loadPaymentConfig } from "../../services/payment/src/config.js";
import { startPaymentService } from "../../services/payment/src/service.js";
import { loadProductConfig } from "../../services/product/src/config.js";
import { startProductService } from "../../services/product/src/service.js";
import { parseUserConfig } from "../../services/user/src/config.js";
import { startUserService } from "../../services/user/src/service.js";

/** The services the harness starts, in start order (upstreams first). */
export const systemServices = [
  "user",
  "product",
  "inventory",
  "cart",
  "payment",
  "order",
  "notification",
] as const;
export type SystemService = (typeof systemServices)[number];

/** Edge settings a test may change, as the edge's own environment variables (e.g. a small bucket). */
export type EdgeEnv = Partial<
  Record<
    "RATE_LIMIT_CAPACITY" | "RATE_LIMIT_REFILL_PER_SECOND" | "UPSTREAM_TIMEOUT_MS" | "BODY_LIMIT_BYTES",
    string
  >
>;

export interface StartSystemOptions {
  /** pino level of every service and the edge; `silent` unless a test is being debugged. */
  readonly logLevel?: string;
  /** Environment overrides of the edge (rate limits, body limit, deadlines). */
  readonly edge?: EdgeEnv;
  /** The admin the user service seeds at start-up; a unique one by default. */
  readonly admin?: { readonly email: string; readonly password: string };
  /** Infrastructure; defaults to the local servers (or REDIS_URL / NATS_URL / TEST_DATABASE_ADMIN_URL). */
  readonly redisUrl?: string;
  readonly natsUrl?: string;
}

export interface RunningSystem {
  /** Base URL of the edge, e.g. `http://127.0.0.1:41234`: the only door a REST client uses. */
  readonly edgeUrl: string;
  /** Base URL of every service's gRPC port, for tests of the direct-gRPC rules. */
  readonly urls: Readonly<Record<SystemService, string>>;
  /** The JetStream namespace every stream and subject of this run lives under. */
  readonly eventsNamespace: string;
  /** The seeded admin's credentials. */
  readonly admin: { readonly email: string; readonly password: string };
  /** A fresh access token of the seeded admin (logged in through the user service). */
  adminToken(): Promise<string>;
  /**
   * Another edge over the same services, with its own rate-limit buckets and overrides; stopped by
   * `stop()` too. Why: a test of a tiny burst limit must not starve the rest of the journey.
   */
  startExtraEdge(env: EdgeEnv): Promise<string>;
  /** Stops the edges and every service, deletes the run's streams, Redis keys and databases. */
  stop(): Promise<void>;
}

/**
 * Starts the complete system for one test file and returns where to reach it.
 *
 * Why in-process instead of child processes: the services' own `start…Service` functions are what
 * `main.ts` and `npm start` run, so this is the same wiring, and a test gets it up in a second or
 * two with errors surfacing as exceptions. If any piece fails to start, what did start is stopped
 * and cleaned up before the error is rethrown.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<RunningSystem> {
  const logLevel = options.logLevel ?? "silent";
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const natsUrl = options.natsUrl ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  const run = uniqueName("e2e");
  const eventsNamespace = run;
  const admin = options.admin ?? { email: `admin-${run}@example.com`, password: `admin-${run}-password` };
  const redis = createTestRedisPrefix({ url: redisUrl, prefix: run });

  const databases: TestDatabase[] = [];
  /** Stops, most recent first. */
  const stops: Array<() => Promise<unknown>> = [];
  const freshDatabase = async (service: SystemService) => {
    const database = await createTestDatabase({ prefix: `e2e_${service}` });
    databases.push(database);
    return database.url;
  };

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      const failures: unknown[] = [];
      for (const fn of [...stops].reverse()) await fn().catch((error: unknown) => failures.push(error));
      await deleteRunStreams(natsUrl, eventsNamespace).catch((error: unknown) => failures.push(error));
      await redis.cleanup().catch((error: unknown) => failures.push(error));
      for (const database of databases) await database.drop().catch((error: unknown) => failures.push(error));
      if (failures.length > 0) throw new AggregateError(failures, "stopping the system failed");
    })();
    return stopped;
  };

  try {
    const common = { LOG_LEVEL: logLevel };
    const url = (port: number) => `http://127.0.0.1:${port}`;

    const user = await startUserService({
      ...parseUserConfig({
        ...common,
        DATABASE_URL: await freshDatabase("user"),
        SHOP_ADMIN_EMAIL: admin.email,
        SHOP_ADMIN_PASSWORD: admin.password,
      }),
      PORT: 0,
    });
    stops.push(() => user.shutdown());
    // Every other service verifies tokens with the user service's public keys, fetched over gRPC.
    const auth = { USER_SERVICE_URL: url(user.port) };

    const product = await startProductService(
      { ...loadProductConfig({ ...common, ...auth, DATABASE_URL: await freshDatabase("product") }), PORT: 0 },
      { processMetrics: false },
    );
    stops.push(() => product.shutdown());

    const inventory = await startInventoryService(
      {
        ...parseInventoryConfig({
          ...common,
          ...auth,
          DATABASE_URL: await freshDatabase("inventory"),
          NATS_URL: natsUrl,
          // SetStock checks the product exists, end to end.
          PRODUCT_URL: url(product.port),
        }),
        PORT: 0,
      },
      { eventsNamespace },
    );
    stops.push(() => inventory.shutdown());

    const cart = await startCartService({
      ...parseCartConfig({
        ...common,
        ...auth,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redis.prefix,
        PRODUCT_URL: url(product.port),
      }),
      PORT: 0,
    });
    stops.push(() => cart.shutdown());

    const payment = await startPaymentService(
      {
        ...loadPaymentConfig({
          ...common,
          ...auth,
          DATABASE_URL: await freshDatabase("payment"),
          NATS_URL: natsUrl,
        }),
        PORT: 0,
      },
      { eventsNamespace },
    );
    stops.push(() => payment.shutdown());

    const order = await startOrderService(
      {
        ...parseOrderConfig({
          ...common,
          ...auth,
          DATABASE_URL: await freshDatabase("order"),
          NATS_URL: natsUrl,
          CART_URL: url(cart.port),
          PRODUCT_URL: url(product.port),
          INVENTORY_URL: url(inventory.port),
          PAYMENT_URL: url(payment.port),
        }),
        PORT: 0,
      },
      { eventsNamespace },
    );
    stops.push(() => order.shutdown());

    const notification = await startNotificationService({
      ...parseNotificationConfig({
        ...common,
        ...auth,
        DATABASE_URL: await freshDatabase("notification"),
        NATS_URL: natsUrl,
        EVENTS_NAMESPACE: eventsNamespace,
      }),
      PORT: 0,
    });
    stops.push(() => notification.shutdown());

    const urls: Record<SystemService, string> = {
      user: url(user.port),
      product: url(product.port),
      inventory: url(inventory.port),
      cart: url(cart.port),
      payment: url(payment.port),
      order: url(order.port),
      notification: url(notification.port),
    };

    const launchEdge = async (env: EdgeEnv): Promise<string> => {
      const edge: Edge = await startEdge({
        ...parseEdgeConfig({
          ...common,
          EDGE_HOST: "127.0.0.1",
          USER_URL: urls.user,
          PRODUCT_URL: urls.product,
          INVENTORY_URL: urls.inventory,
          CART_URL: urls.cart,
          PAYMENT_URL: urls.payment,
          ORDER_URL: urls.order,
          NOTIFICATION_URL: urls.notification,
          REDIS_URL: redisUrl,
          // Its own buckets per edge under the run's prefix: cleaned up with the run's keys.
          RATE_LIMIT_KEY_PREFIX: `${redis.prefix}${uniqueName("edge")}:`,
          ...env,
        }),
        EDGE_PORT: 0,
      });
      stops.push(() => edge.shutdown());
      return url(edge.port);
    };
    const edgeUrl = await launchEdge(options.edge ?? {});

    const users = createClient(UserService, createGrpcTransport({ baseUrl: urls.user }));
    return {
      edgeUrl,
      urls,
      eventsNamespace,
      admin,
      async adminToken() {
        const { accessToken } = await users.login({ email: admin.email, password: admin.password });
        return accessToken;
      },
      startExtraEdge: launchEdge,
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/** Deletes every stream of the run's namespace (the services create them on start-up). */
async function deleteRunStreams(natsUrl: string, namespace: string): Promise<void> {
  const nats = await connectJetStream({ url: natsUrl, name: `${namespace}-cleanup` });
  try {
    await deleteStreams(nats.jsm, shopStreams, { namespace });
  } finally {
    await nats.close();
  }
}

/**
 * Polls `check` until it returns something other than undefined or false, failing with `what` after
 * `timeoutMs`. Why: eventual outcomes (a saga's end, a notification) must be waited for with a bound,
 * so a broken flow fails the test with a message instead of hanging the run.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}
