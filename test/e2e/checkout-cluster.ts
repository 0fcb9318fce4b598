/**
 * The checkout system for failure tests: a PRIVATE nats-server (so the run may stop it, and its
 * streams are the run's own), the order service as a real child process (so it can be killed with
 * SIGKILL), and the user, product, inventory, cart, payment and notification services in this process
 * — every Postgres service on a fresh database, the cart under a unique Redis prefix.
 *
 * Tokens are the user service's own (registered and logged-in shoppers), verified everywhere from its
 * public keys, as in production.
 */

import { randomUUID } from "node:crypto";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { NotificationService } from "@shop/gen/shop/notification/v1/notification_pb";
import { OrderService } from "@shop/gen/shop/order/v1/order_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { connectJetStream, type JetStreamConnection } from "@shop/platform/events/connection";
import {
  createTestDatabase,
  createTestRedisPrefix,
  type TestDatabase,
  uniqueName,
} from "@shop/platform/testing";
import postgres from "postgres";
import { parseCartConfig } from "../../services/cart/src/config.js";
import { startCartService } from "../../services/cart/src/service.js";
import { parseInventoryConfig } from "../../services/inventory/src/config.js";
import { startInventoryService } from "../../services/inventory/src/service.js";
import { parseNotificationConfig } from "../../services/notification/src/config.js";
import { startNotificationService } from "../../services/notification/src/service.js";
import { loadPaymentConfig } from "../../services/payment/src/config.js";
import { startPaymentService } from "../../services/payment/src/service.js";
import { loadProductConfig } from "../../services/product/src/config.js";
import { startProductService } from "../../services/product/src/service.js";
import { parseUserConfig } from "../../services/user/src/config.js";
import { startUserService } from "../../services/user/src/service.js";
import {
  type NatsServerProcess,
  type ServiceProcess,
  startNatsServer,
  startServiceProcess,
} from "../support/processes.js";

/** The databases the tests read to check consistency from each service's own point of view. */
export type ClusterDatabase = "order" | "inventory" | "payment" | "notification";

export interface CheckoutCluster {
  readonly nats: NatsServerProcess;
  /** The order service's child process (kill / restart it). */
  readonly order: ServiceProcess;
  /** The test's own JetStream connection to the private server (reconnects across restarts). */
  readonly events: JetStreamConnection;
  readonly clients: {
    readonly order: Client<typeof OrderService>;
    readonly cart: Client<typeof CartService>;
    readonly notification: Client<typeof NotificationService>;
  };
  /** SQL on a service's own database. */
  readonly sql: Readonly<Record<ClusterDatabase, postgres.Sql>>;
  /** Registers and logs in a new shopper through the user service; returns its call options. */
  shopper(): Promise<{ userId: string; options: { headers: Record<string, string> } }>;
  /** Creates a product priced at `units` EUR (admin) and sets its available stock. */
  createProduct(units: number, stock: number): Promise<string>;
  /** Everything whose logs help when a test fails. */
  readonly logSources: ReadonlyArray<{ logs(): string }>;
  stop(): Promise<void>;
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/**
 * Starts the cluster. `orderEnv` adds to the order process's environment (short saga lease and scan
 * interval by default, so a killed instance's sagas resume within seconds). On any start-up failure
 * everything already started is stopped and cleaned up before the error is rethrown.
 */
export async function startCheckoutCluster(
  orderEnv: Readonly<Record<string, string>> = {},
): Promise<CheckoutCluster> {
  const run = uniqueName("ckfail");
  const stops: Array<() => Promise<unknown>> = [];
  const databases: TestDatabase[] = [];
  const fresh = async (service: string) => {
    const database = await createTestDatabase({ prefix: `ckfail_${service}` });
    databases.push(database);
    return database.url;
  };
  const stop = async () => {
    const failures: unknown[] = [];
    for (const fn of stops.reverse()) await fn().catch((error: unknown) => failures.push(error));
    stops.length = 0;
    for (const database of databases) await database.drop().catch((error: unknown) => failures.push(error));
    databases.length = 0;
    if (failures.length > 0) throw new AggregateError(failures, "stopping the checkout cluster failed");
  };

  try {
    const nats = await startNatsServer();
    stops.push(() => nats.dispose());
    const redis = createTestRedisPrefix({ prefix: run });
    stops.push(() => redis.cleanup());
    const quiet = { LOG_LEVEL: "silent" };
    const admin = { email: `admin-${run}@example.com`, password: `admin-${run}-password` };

    const user = await startUserService({
      ...parseUserConfig({
        ...quiet,
        DATABASE_URL: await fresh("user"),
        SHOP_ADMIN_EMAIL: admin.email,
        SHOP_ADMIN_PASSWORD: admin.password,
      }),
      PORT: 0,
    });
    stops.push(() => user.shutdown());
    const auth = { USER_SERVICE_URL: url(user.port) };

    const product = await startProductService(
      { ...loadProductConfig({ ...quiet, ...auth, DATABASE_URL: await fresh("product") }), PORT: 0 },
      { processMetrics: false },
    );
    stops.push(() => product.shutdown());

    const inventoryDb = await fresh("inventory");
    const inventory = await startInventoryService({
      ...parseInventoryConfig({ ...quiet, ...auth, DATABASE_URL: inventoryDb, NATS_URL: nats.url }),
      PORT: 0,
    });
    stops.push(() => inventory.shutdown());

    const cart = await startCartService({
      ...parseCartConfig({
        ...quiet,
        ...auth,
        REDIS_KEY_PREFIX: redis.prefix,
        PRODUCT_URL: url(product.port),
      }),
      PORT: 0,
    });
    stops.push(() => cart.shutdown());

    const paymentDb = await fresh("payment");
    const payment = await startPaymentService({
      ...loadPaymentConfig({ ...quiet, ...auth, DATABASE_URL: paymentDb, NATS_URL: nats.url }),
      PORT: 0,
    });
    stops.push(() => payment.shutdown());

    const notificationDb = await fresh("notification");
    const notification = await startNotificationService({
      ...parseNotificationConfig({
        ...quiet,
        ...auth,
        DATABASE_URL: notificationDb,
        NATS_URL: nats.url,
        EVENT_MAX_DELIVER: "3",
        EVENT_RETRY_INITIAL_MS: "100",
        EVENT_RETRY_MAX_MS: "1000",
      }),
      PORT: 0,
    });
    stops.push(() => notification.shutdown());

    const orderDb = await fresh("order");
    const order = await startServiceProcess({
      service: "order",
      env: {
        LOG_LEVEL: "info",
        DATABASE_URL: orderDb,
        NATS_URL: nats.url,
        ...auth,
        CART_URL: url(cart.port),
        PRODUCT_URL: url(product.port),
        INVENTORY_URL: url(inventory.port),
        PAYMENT_URL: url(payment.port),
        SAGA_LEASE_SECONDS: "2",
        SAGA_SCAN_INTERVAL_MS: "250",
        SAGA_RETRY_DELAY_MS: "100",
        SHUTDOWN_GRACE_MS: "2s",
        ...orderEnv,
      },
    });
    stops.push(() => order.stop());

    const events = await connectJetStream({ url: nats.url, name: `${run}-test` });
    stops.push(() => events.close());

    const sql: Record<ClusterDatabase, postgres.Sql> = {
      order: postgres(orderDb, { max: 2, onnotice: () => {} }),
      inventory: postgres(inventoryDb, { max: 2, onnotice: () => {} }),
      payment: postgres(paymentDb, { max: 2, onnotice: () => {} }),
      notification: postgres(notificationDb, { max: 2, onnotice: () => {} }),
    };
    stops.push(async () => {
      for (const pool of Object.values(sql)) await pool.end({ timeout: 5 });
    });

    const transport = (baseUrl: string) => createGrpcTransport({ baseUrl });
    const users = createClient(UserService, transport(url(user.port)));
    const products = createClient(ProductService, transport(url(product.port)));
    const stock = createClient(InventoryService, transport(url(inventory.port)));
    const { accessToken: adminToken } = await users.login(admin);
    const asAdmin = { headers: { authorization: `Bearer ${adminToken}` } };

    return {
      nats,
      order,
      events,
      clients: {
        order: createClient(OrderService, transport(order.url)),
        cart: createClient(CartService, transport(url(cart.port))),
        notification: createClient(NotificationService, transport(url(notification.port))),
      },
      sql,
      async shopper() {
        const email = `shopper-${randomUUID()}@example.com`;
        const password = `pw-${randomUUID()}`;
        const { user: registered } = await users.register({ email, password, name: "Shopper" });
        const { accessToken } = await users.login({ email, password });
        return {
          userId: registered?.id ?? "",
          options: { headers: { authorization: `Bearer ${accessToken}` } },
        };
      },
      async createProduct(units, available) {
        const { product: created } = await products.createProduct(
          {
            product: {
              name: `Widget ${randomUUID().slice(0, 8)}`,
              description: `failure test ${run}`,
              price: { currencyCode: "EUR", units: BigInt(units) },
            },
          },
          asAdmin,
        );
        const id = created?.id ?? "";
        await stock.setStock({ productId: id, available }, asAdmin);
        return id;
      },
      logSources: [order, nats],
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
