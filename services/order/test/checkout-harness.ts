import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { OrderService } from "@shop/gen/shop/order/v1/order_pb";
import { PaymentService } from "@shop/gen/shop/payment/v1/payment_pb";
import { ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { createTestDatabase, createTestRedisPrefix, type TestDatabase } from "@shop/platform/testing";
import postgres from "postgres";
import { parseCartConfig } from "../../cart/src/config.js";
import { startCartService } from "../../cart/src/service.js";
import { parseInventoryConfig } from "../../inventory/src/config.js";
import { startInventoryService } from "../../inventory/src/service.js";
import { loadPaymentConfig } from "../../payment/src/config.js";
import { startPaymentService } from "../../payment/src/service.js";
import { loadProductConfig } from "../../product/src/config.js";
import { startProductService } from "../../product/src/service.js";
import { parseOrderConfig } from "../src/config.js";
import { type RunningOrderService, startOrderService } from "../src/service.js";

type Clients = {
  order: Client<typeof OrderService>;
  cart: Client<typeof CartService>;
  product: Client<typeof ProductService>;
  inventory: Client<typeof InventoryService>;
  payment: Client<typeof PaymentService>;
};

export interface CheckoutSystem {
  readonly issuer: TestTokenIssuer;
  readonly clients: Clients;
  readonly order: RunningOrderService;
  readonly urls: { inventory: string; payment: string };
  /** SQL on the payment service's database, to count payments as the provider would see them. */
  readonly paymentSql: postgres.Sql;
  /** SQL on the order service's database (outbox checks). */
  readonly orderSql: postgres.Sql;
  /** Call options carrying a fresh shopper's (or an admin's) bearer token. */
  shopper(): Promise<{ userId: string; options: { headers: Record<string, string> } }>;
  readonly admin: { headers: Record<string, string> };
  /** A product priced at `units` EUR with `stock` units available. */
  createProduct(units: number, stock: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the real product, inventory, cart, payment and order services in this process, each on a
 * free port with its own fresh database (and a unique Redis prefix for the cart), authenticated with
 * one test token issuer. The checkout tests then talk to them over real gRPC, as the edge would.
 */
export async function startCheckoutSystem(
  orderOptions: { autoDrive?: boolean } = {},
): Promise<CheckoutSystem> {
  const issuer = await createTestTokenIssuer();
  const verifier = issuer.verifier;
  const databases: TestDatabase[] = [];
  const stops: Array<() => Promise<unknown>> = [];
  const fresh = async (prefix: string) => {
    const db = await createTestDatabase({ prefix });
    databases.push(db);
    return db.url;
  };
  const redisPrefix = createTestRedisPrefix({ prefix: "checkout" });
  const quiet = { LOG_LEVEL: "silent" };

  const product = await startProductService(
    { ...loadProductConfig({ ...quiet, DATABASE_URL: await fresh("ck_product") }), PORT: 0 },
    { auth: verifier },
  );
  stops.push(() => product.shutdown());
  const productUrl = `http://127.0.0.1:${product.port}`;
  const inventory = await startInventoryService(
    {
      ...parseInventoryConfig({
        ...quiet,
        DATABASE_URL: await fresh("ck_inventory"),
        PRODUCT_URL: productUrl,
      }),
      PORT: 0,
    },
    { verifier },
  );
  stops.push(() => inventory.shutdown());
  const payment = await startPaymentService(
    { ...loadPaymentConfig({ ...quiet, DATABASE_URL: await fresh("ck_payment") }), PORT: 0 },
    { verifier },
  );
  stops.push(() => payment.shutdown());
  const cart = await startCartService(
    {
      ...parseCartConfig({ ...quiet, REDIS_KEY_PREFIX: redisPrefix.prefix, PRODUCT_URL: productUrl }),
      PORT: 0,
    },
    { verifier },
  );
  stops.push(() => cart.shutdown());
  const urls = {
    inventory: `http://127.0.0.1:${inventory.port}`,
    payment: `http://127.0.0.1:${payment.port}`,
  };
  const orderDbUrl = await fresh("ck_order");
  const order = await startOrderService(
    {
      ...parseOrderConfig({
        ...quiet,
        DATABASE_URL: orderDbUrl,
        CART_URL: `http://127.0.0.1:${cart.port}`,
        PRODUCT_URL: productUrl,
        INVENTORY_URL: urls.inventory,
        PAYMENT_URL: urls.payment,
        SAGA_RETRY_DELAY_MS: "50",
        SAGA_SCAN_INTERVAL_MS: "500",
      }),
      PORT: 0,
    },
    { verifier, ...(orderOptions.autoDrive === undefined ? {} : { autoDrive: orderOptions.autoDrive }) },
  );
  stops.push(() => order.shutdown());

  const transport = (port: number) => createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` });
  const clients: Clients = {
    order: createClient(OrderService, transport(order.port)),
    cart: createClient(CartService, transport(cart.port)),
    product: createClient(ProductService, transport(product.port)),
    inventory: createClient(InventoryService, transport(inventory.port)),
    payment: createClient(PaymentService, transport(payment.port)),
  };
  const paymentSql = postgres(databases[2]?.url ?? "", { max: 2, onnotice: () => {} });
  const orderSql = postgres(orderDbUrl, { max: 2, onnotice: () => {} });
  const adminToken = await issuer.sign({
    userId: randomUUID(),
    email: "admin@example.com",
    roles: ["admin"],
  });
  const admin = { headers: { authorization: `Bearer ${adminToken}` } };

  return {
    issuer,
    clients,
    order,
    urls,
    paymentSql,
    orderSql,
    admin,
    async shopper() {
      const userId = randomUUID();
      const token = await issuer.sign({ userId, email: `${userId}@example.com` });
      return { userId, options: { headers: { authorization: `Bearer ${token}` } } };
    },
    async createProduct(units, stock) {
      const { product: created } = await clients.product.createProduct(
        {
          product: {
            name: `Widget ${randomUUID().slice(0, 8)}`,
            price: { currencyCode: "EUR", units: BigInt(units) },
          },
        },
        admin,
      );
      const id = created?.id ?? "";
      await clients.inventory.setStock({ productId: id, available: stock }, admin);
      return id;
    },
    async stop() {
      for (const stop of stops.reverse()) await stop();
      await paymentSql.end({ timeout: 5 });
      await orderSql.end({ timeout: 5 });
      await redisPrefix.cleanup();
      for (const db of databases) await db.drop();
    },
  };
}

/** Polls `probe` until it returns a value, for at most `timeoutMs`; then fails with `what`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await delay(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
