import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { CartClearedSchema } from "@shop/gen/shop/cart/v1/events_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { connectJetStream, type JetStreamConnection } from "@shop/platform/events/connection";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { namespacedStream } from "@shop/platform/events/namespace";
import { deleteStreams, domainStream, ensureStreams, isNotFound } from "@shop/platform/events/streams";
import { natsUrl, waitFor } from "@shop/platform/events/test-fixture";
import {
  createTestDatabase,
  createTestRedisPrefix,
  freePort,
  type TestDatabase,
  type TestRedisPrefix,
  uniqueName,
} from "@shop/platform/testing";
import { Redis } from "ioredis";
import { loadProductConfig } from "../../product/src/config.js";
import { type ProductServiceHandle, startProductService } from "../../product/src/service.js";
import { parseCartConfig } from "../src/config.js";
import { type RunningCartService, startCartService } from "../src/service.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

async function shopperOf(issuer: TestTokenIssuer) {
  const userId = randomUUID();
  const token = await issuer.sign({ userId, email: `${userId}@example.com` });
  return { userId, options: { headers: { authorization: `Bearer ${token}` } } };
}

describe("ClearCart publishes CartCleared to JetStream", () => {
  const namespace = uniqueName("cart");
  const stream = domainStream("cart");
  const subject = "shop.cart.v1.CartCleared";
  let database: TestDatabase;
  let redisPrefix: TestRedisPrefix;
  let issuer: TestTokenIssuer;
  let product: ProductServiceHandle;
  let cart: RunningCartService;
  let client: Client<typeof CartService>;
  let nats: JetStreamConnection;
  let productId: string;

  /** Every CartCleared of this run's namespace, decoded, with its Nats-Msg-Id. */
  async function clearedEvents(): Promise<
    Array<{ userId: string; eventId: string; msgId: string | undefined }>
  > {
    const name = namespacedStream(namespace, stream.name);
    const info = await nats.jsm.streams.info(name);
    const events = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await nats.jsm.streams.getMessage(name, { seq }).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (!message) continue;
      const { event } = decodeEvent(subject, message.data);
      const cleared = event as unknown as { userId: string; eventId: string };
      events.push({
        userId: cleared.userId,
        eventId: cleared.eventId,
        msgId: message.header?.get("Nats-Msg-Id"),
      });
    }
    return events;
  }

  async function fillCart(options: { headers: Record<string, string> }) {
    const { cart: filled } = await client.addItem({ productId, quantity: 2 }, options);
    assert.equal(filled?.items.length, 1);
  }

  before(async () => {
    database = await createTestDatabase({ prefix: "cart_events" });
    redisPrefix = createTestRedisPrefix({ prefix: "cart_events" });
    issuer = await createTestTokenIssuer();
    nats = await connectJetStream({ url: natsUrl(), name: namespace });
    product = await startProductService(
      { ...loadProductConfig({ DATABASE_URL: database.url, LOG_LEVEL: "silent" }), PORT: 0 },
      { processMetrics: false },
    );
    productId = (
      await product.store.create({ name: "Mug", description: "", currencyCode: "USD", units: 4n, nanos: 0 })
    ).id;
    const config = parseCartConfig({
      REDIS_KEY_PREFIX: redisPrefix.prefix,
      PRODUCT_URL: `http://127.0.0.1:${product.port}`,
      NATS_URL: natsUrl(),
      LOG_LEVEL: "silent",
    });
    cart = await startCartService(
      { ...config, PORT: 0 },
      { verifier: issuer.verifier, eventsNamespace: namespace },
    );
    client = createClient(CartService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${cart.port}` }));
  });

  after(async () => {
    await cart?.shutdown();
    await product?.shutdown();
    await deleteStreams(nats.jsm, [stream], { namespace }).catch(() => {});
    await nats?.close();
    await redisPrefix?.cleanup();
    await database?.drop();
  });

  test("one CartCleared for the caller, with its event id as Nats-Msg-Id, once the cart is empty", async () => {
    const shopper = await shopperOf(issuer);
    await fillCart(shopper.options);
    const before = (await clearedEvents()).length;
    await client.clearCart({}, shopper.options);

    const mine = await waitFor("the CartCleared message", async () => {
      const found = (await clearedEvents()).filter((event) => event.userId === shopper.userId);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.msgId, mine[0]?.eventId);
    assert.equal((await clearedEvents()).length, before + 1, "exactly one event for one call");
    const { cart: emptied } = await client.getCart({}, shopper.options);
    assert.equal(emptied?.items.length, 0);
    assert.equal(CartClearedSchema.typeName, subject);
  });

  test("JetStream refusing the event makes ClearCart UNAVAILABLE (the cart is cleared); the retry publishes it", async () => {
    const shopper = await shopperOf(issuer);
    await fillCart(shopper.options);
    await deleteStreams(nats.jsm, [stream], { namespace });
    try {
      const error = await failure(client.clearCart({}, shopper.options));
      assert.equal(
        error?.code,
        Code.Unavailable,
        `expected UNAVAILABLE, got ${error?.code}: ${error?.message}`,
      );
      // Redis changed first: the cart is already empty, only the announcement is missing.
      assert.equal((await client.getCart({}, shopper.options)).cart?.items.length, 0);
    } finally {
      await ensureStreams(nats.jsm, [stream], { namespace });
    }

    await client.clearCart({}, shopper.options);
    const mine = (await clearedEvents()).filter((event) => event.userId === shopper.userId);
    assert.equal(mine.length, 1);
  });
});

describe("a Redis failure during a call is UNAVAILABLE, not INTERNAL", () => {
  let redisServer: ChildProcess;
  let issuer: TestTokenIssuer;
  let cart: RunningCartService;

  before(async () => {
    const port = await freePort();
    // A private Redis this test may kill without disturbing other runs.
    redisServer = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const url = `redis://127.0.0.1:${port}`;
    await waitFor("the private redis-server", async () => {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => {}); // refused while the server starts: the loop just tries again
      try {
        await probe.connect();
        return (await probe.ping()) === "PONG";
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    });
    issuer = await createTestTokenIssuer();
    const config = parseCartConfig({ REDIS_URL: url, LOG_LEVEL: "silent" });
    cart = await startCartService({ ...config, PORT: 0 }, { verifier: issuer.verifier });
  });

  after(async () => {
    await cart?.shutdown();
    if (redisServer.exitCode === null && redisServer.signalCode === null) {
      redisServer.kill("SIGKILL");
      await once(redisServer, "exit");
    }
  });

  test("GetCart and ClearCart answer UNAVAILABLE while Redis is down", async () => {
    const client = createClient(
      CartService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${cart.port}` }),
    );
    const shopper = await shopperOf(issuer);
    assert.equal((await client.getCart({}, shopper.options)).cart?.items.length, 0);

    redisServer.kill("SIGKILL");
    await once(redisServer, "exit");

    for (const call of [
      () => client.getCart({}, shopper.options),
      () => client.clearCart({}, shopper.options),
    ]) {
      const error = await failure(call());
      assert.equal(
        error?.code,
        Code.Unavailable,
        `expected UNAVAILABLE, got ${error?.code}: ${error?.message}`,
      );
    }
  });
});
