import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Cart, CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import {
  createTestDatabase,
  createTestRedisPrefix,
  freePort,
  type TestDatabase,
  type TestRedisPrefix,
} from "@shop/platform/testing";
import { Redis } from "ioredis";
import { loadProductConfig } from "../../product/src/config.js";
import { type ProductServiceHandle, startProductService } from "../../product/src/service.js";
import { parseCartConfig } from "../src/config.js";
import { type RunningCartService, startCartService } from "../src/service.js";
import { cartLimits } from "../src/validation.js";

const ttlSeconds = 1000;

async function failure(promise: Promise<unknown>): Promise<ConnectError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return ConnectError.from(error);
  }
}

function lines(cart: Cart | undefined): string[] {
  return (cart?.items ?? []).map((item) => `${item.productId}x${item.quantity}`);
}

describe("cart service over gRPC", () => {
  let database: TestDatabase;
  let redisPrefix: TestRedisPrefix;
  let redis: Redis;
  let product: ProductServiceHandle;
  let cart: RunningCartService;
  let client: Client<typeof CartService>;
  let issuer: TestTokenIssuer;
  const productIds: string[] = [];

  async function startCart(productUrl: string): Promise<RunningCartService> {
    const config = parseCartConfig({
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_KEY_PREFIX: redisPrefix.prefix,
      CART_TTL_SECONDS: String(ttlSeconds),
      PRODUCT_URL: productUrl,
      PRODUCT_TIMEOUT_MS: "500",
      LOG_LEVEL: "silent",
    });
    return startCartService({ ...config, PORT: 0 }, { verifier: issuer.verifier });
  }

  /** A signed-in shopper: call options carrying a fresh user's bearer token. */
  async function shopper() {
    const userId = randomUUID();
    const token = await issuer.sign({ userId, email: `${userId}@example.com` });
    return { userId, options: { headers: { authorization: `Bearer ${token}` } } };
  }

  const cartKeys = (userId: string) => {
    const base = `${redisPrefix.prefix}cart:{${userId}}`;
    return [base, `${base}:order`, `${base}:updated`];
  };

  before(async () => {
    database = await createTestDatabase({ prefix: "cart_products" });
    redisPrefix = createTestRedisPrefix({ prefix: "cart" });
    redis = new Redis("redis://127.0.0.1:6379");
    issuer = await createTestTokenIssuer();
    const productConfig = loadProductConfig({ DATABASE_URL: database.url, LOG_LEVEL: "silent" });
    product = await startProductService({ ...productConfig, PORT: 0 }, { processMetrics: false });
    for (let i = 0; i <= cartLimits.maxLines; i++) {
      const created = await product.store.create({
        name: `Product ${i}`,
        description: "",
        currencyCode: "USD",
        units: 10n,
        nanos: 0,
      });
      productIds.push(created.id);
    }
    cart = await startCart(`http://127.0.0.1:${product.port}`);
    client = createClient(CartService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${cart.port}` }));
  });

  after(async () => {
    await cart?.shutdown();
    await product?.shutdown();
    redis?.disconnect();
    await redisPrefix?.cleanup();
    await database?.drop();
  });

  test("every method needs a bearer token", async () => {
    const calls = [
      () => client.getCart({}),
      () => client.addItem({ productId: productIds[0], quantity: 1 }),
      () => client.removeItem({ productId: productIds[0] }),
      () => client.clearCart({}),
    ];
    for (const call of calls) assert.equal((await failure(call()))?.code, Code.Unauthenticated);
    const forged = { headers: { authorization: "Bearer not.a.token" } };
    assert.equal((await failure(client.getCart({}, forged)))?.code, Code.Unauthenticated);
  });

  test("a user without a cart gets an empty one", async () => {
    const { userId, options } = await shopper();
    const { cart: empty } = await client.getCart({}, options);
    assert.equal(empty?.userId, userId);
    assert.deepEqual(lines(empty), []);
    assert.equal(empty?.updateTime, undefined);
  });

  test("add, get, remove, clear round trip keeps first-added order and sums quantities", async () => {
    const { options } = await shopper();
    const [a, b, c] = [productIds[0], productIds[1], productIds[2]];
    const before = Date.now();
    await client.addItem({ productId: b, quantity: 2 }, options);
    await client.addItem({ productId: a, quantity: 1 }, options);
    const { cart: added } = await client.addItem({ productId: b, quantity: 3 }, options);
    assert.deepEqual(lines(added), [`${b}x5`, `${a}x1`]);
    assert.ok(added?.updateTime && timestampMs(added.updateTime) >= before);

    const { cart: read } = await client.getCart({}, options);
    assert.deepEqual(lines(read), [`${b}x5`, `${a}x1`]);

    const { cart: unchanged } = await client.removeItem({ productId: c ?? "" }, options);
    assert.deepEqual(lines(unchanged), [`${b}x5`, `${a}x1`]);
    const { cart: removed } = await client.removeItem({ productId: b }, options);
    assert.deepEqual(lines(removed), [`${a}x1`]);
    // Re-adding goes to the end: order is first-added among the lines present.
    const { cart: readded } = await client.addItem({ productId: b, quantity: 1 }, options);
    assert.deepEqual(lines(readded), [`${a}x1`, `${b}x1`]);

    await client.clearCart({}, options);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), []);
    await client.clearCart({}, options);
  });

  test("ClearCart with update_time clears only the cart read at that time; a changed one stays", async () => {
    const { options } = await shopper();
    const [a, b] = [productIds[0] ?? "", productIds[1] ?? ""];
    const { cart: read } = await client.addItem({ productId: a, quantity: 1 }, options);
    // What checkout does while someone adds to the cart between its read and its clear.
    const { cart: changed } = await client.addItem({ productId: b, quantity: 2 }, options);
    const refused = await failure(client.clearCart({ updateTime: read?.updateTime }, options));
    assert.equal(refused?.code, Code.FailedPrecondition);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${a}x1`, `${b}x2`], "left as it is");

    await client.clearCart({ updateTime: changed?.updateTime }, options);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), []);
    // Cleared already (a retried clear): nothing to do, no error.
    await client.clearCart({ updateTime: changed?.updateTime }, options);
  });

  test("ClearCart with order_id: a cart changed during checkout loses exactly the ordered quantities, once", async () => {
    const { userId, options } = await shopper();
    const [a, b, c, d] = [productIds[0] ?? "", productIds[1] ?? "", productIds[2] ?? "", productIds[3] ?? ""];
    await client.addItem({ productId: a, quantity: 2 }, options);
    const { cart: read } = await client.addItem({ productId: b, quantity: 1 }, options);
    // Added while the order was placed: neither ordered nor to be removed.
    const { cart: changed } = await client.addItem({ productId: c, quantity: 1 }, options);
    const orderId = randomUUID();
    const removal = {
      updateTime: read?.updateTime,
      orderId,
      items: [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ],
    };
    const keys = [...cartKeys(userId), `${cartKeys(userId)[0]}:applied`];
    for (const key of keys) await redis.expire(key, 50);
    await client.clearCart(removal, options);
    const { cart: after } = await client.getCart({}, options);
    assert.deepEqual(lines(after), [`${c}x1`], "only the ordered lines went");
    assert.ok(
      after?.updateTime &&
        changed?.updateTime &&
        timestampMs(after.updateTime) > timestampMs(changed.updateTime),
      "the removal is a change: a new update_time",
    );
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      assert.ok(ttl > ttlSeconds - 60 && ttl <= ttlSeconds, `removal did not refresh ${key}: ${ttl}`);
    }
    // The same checkout's removal again (a retry after a lost answer): subtracts nothing more.
    await client.addItem({ productId: a, quantity: 1 }, options);
    await client.clearCart(removal, options);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${c}x1`, `${a}x1`], "applied once");
    // The applied order ids live as long as the cart: every change refreshes them with the rest.
    for (const key of keys) await redis.expire(key, 50);
    await client.addItem({ productId: b, quantity: 1 }, options);
    for (const key of keys) {
      const ttl = await redis.ttl(key);
      assert.ok(ttl > ttlSeconds - 60, `add did not refresh ${key}: ${ttl}`);
    }

    // A line with more units than ordered keeps the rest; products not in the cart are ignored.
    const other = await shopper();
    const { cart: three } = await client.addItem({ productId: a, quantity: 3 }, other.options);
    await client.addItem({ productId: c, quantity: 1 }, other.options);
    const partial = {
      updateTime: three?.updateTime,
      orderId: randomUUID(),
      items: [
        { productId: a, quantity: 2 },
        { productId: d, quantity: 4 },
      ],
    };
    await client.clearCart(partial, other.options);
    assert.deepEqual(lines((await client.getCart({}, other.options)).cart), [`${a}x1`, `${c}x1`]);
    await client.clearCart(partial, other.options);
    assert.deepEqual(lines((await client.getCart({}, other.options)).cart), [`${a}x1`, `${c}x1`], "once");
  });

  test("ClearCart with order_id: an unchanged cart is deleted, and a retry leaves the next cart alone", async () => {
    const { options } = await shopper();
    const [a, b] = [productIds[4] ?? "", productIds[5] ?? ""];
    const { cart: read } = await client.addItem({ productId: a, quantity: 2 }, options);
    const removal = {
      updateTime: read?.updateTime,
      orderId: randomUUID(),
      items: [{ productId: a, quantity: 2 }],
    };
    await client.clearCart(removal, options);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), []);
    await client.addItem({ productId: a, quantity: 1 }, options);
    await client.addItem({ productId: b, quantity: 1 }, options);
    await client.clearCart(removal, options); // a late retry of the same checkout
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${a}x1`, `${b}x1`]);

    const bad = [
      { updateTime: read?.updateTime, orderId: randomUUID() }, // no items
      { updateTime: read?.updateTime, items: [{ productId: a, quantity: 1 }] }, // no order id
      { orderId: randomUUID(), items: [{ productId: a, quantity: 1 }] }, // no update_time
      {
        updateTime: read?.updateTime,
        orderId: randomUUID(),
        items: [
          { productId: a, quantity: 1 },
          { productId: a, quantity: 1 },
        ],
      },
      { updateTime: read?.updateTime, orderId: randomUUID(), items: [{ productId: a, quantity: 0 }] },
    ];
    for (const request of bad) {
      assert.equal((await failure(client.clearCart(request, options)))?.code, Code.InvalidArgument);
    }
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${a}x1`, `${b}x1`]);
  });

  test("AddItem with an idempotency key adds once; without one, every call adds", async () => {
    const { options } = await shopper();
    const [a, b] = [productIds[13] ?? "", productIds[14] ?? ""];
    const key = randomUUID();
    const { cart: first } = await client.addItem({ productId: a, quantity: 2, idempotencyKey: key }, options);
    assert.deepEqual(lines(first), [`${a}x2`]);
    const { cart: other } = await client.addItem({ productId: b, quantity: 1 }, options);
    // The retry after a lost answer: nothing added, the cart as it is now (b's line included).
    const { cart: repeat } = await client.addItem(
      { productId: a, quantity: 2, idempotencyKey: key },
      options,
    );
    assert.deepEqual(lines(repeat), [`${a}x2`, `${b}x1`]);
    assert.deepEqual(repeat?.updateTime, other?.updateTime, "a repeat is no change");
    // The product id in another case is the same add.
    await client.addItem({ productId: a.toUpperCase(), quantity: 2, idempotencyKey: key }, options);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${a}x2`, `${b}x1`]);

    const { cart: another } = await client.addItem(
      { productId: a, quantity: 2, idempotencyKey: randomUUID() },
      options,
    );
    assert.deepEqual(lines(another), [`${a}x4`, `${b}x1`], "another key is another add");
    await client.addItem({ productId: b, quantity: 1 }, options);
    const { cart: unkeyed } = await client.addItem(
      { productId: b, quantity: 1, idempotencyKey: "" },
      options,
    );
    assert.deepEqual(lines(unkeyed), [`${a}x4`, `${b}x3`], "no key: every call adds");
  });

  test("20 concurrent AddItem calls with one key add the quantity once, and all answer the cart", async () => {
    const { options } = await shopper();
    const id = productIds[15] ?? "";
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.addItem({ productId: id, quantity: 3, idempotencyKey: key }, options),
      ),
    );
    for (const { cart: answered } of answers) assert.deepEqual(lines(answered), [`${id}x3`]);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${id}x3`]);
  });

  test("a key reused for another product or quantity adds nothing: FAILED_PRECONDITION naming the first add", async () => {
    const { options } = await shopper();
    const [a, b] = [productIds[16] ?? "", productIds[17] ?? ""];
    const key = randomUUID();
    await client.addItem({ productId: a, quantity: 2, idempotencyKey: key }, options);
    for (const request of [
      { productId: a, quantity: 5, idempotencyKey: key },
      { productId: b, quantity: 2, idempotencyKey: key },
    ]) {
      const error = await failure(client.addItem(request, options));
      assert.equal(error?.code, Code.FailedPrecondition);
      assert.match(error.rawMessage, /^idempotency_key was already used on this cart to add 2 of product/);
      assert.ok(error.rawMessage.includes(a), error.rawMessage);
    }
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${a}x2`]);
  });

  test("an idempotency key longer than 128 characters or not printable ASCII is INVALID_ARGUMENT and adds nothing", async () => {
    const { options } = await shopper();
    const id = productIds[18] ?? "";
    for (const idempotencyKey of ["k".repeat(129), "tab\there", "clé"]) {
      const error = await failure(client.addItem({ productId: id, quantity: 1, idempotencyKey }, options));
      assert.equal(error?.code, Code.InvalidArgument, idempotencyKey);
      assert.match(error.rawMessage, /^idempotency_key must be/);
    }
    const { cart } = await client.addItem(
      { productId: id, quantity: 1, idempotencyKey: "k".repeat(128) },
      options,
    );
    assert.deepEqual(lines(cart), [`${id}x1`]);
  });

  test("a refused add leaves its key free; an applied key outlives a clear and lives as long as the cart", async () => {
    const { userId, options } = await shopper();
    const [a, b] = [productIds[19] ?? "", productIds[20] ?? ""];
    await client.addItem({ productId: a, quantity: 99 }, options);
    const key = randomUUID();
    const over = await failure(client.addItem({ productId: a, quantity: 1, idempotencyKey: key }, options));
    assert.equal(over?.code, Code.FailedPrecondition);
    await client.removeItem({ productId: a }, options);
    const { cart: retried } = await client.addItem(
      { productId: a, quantity: 1, idempotencyKey: key },
      options,
    );
    assert.deepEqual(lines(retried), [`${a}x1`], "the refusal did not use the key up");

    // Checkout clears the cart; a late retry of the add must not refill it.
    await client.clearCart({}, options);
    const { cart: late } = await client.addItem({ productId: a, quantity: 1, idempotencyKey: key }, options);
    assert.deepEqual(lines(late), []);

    const keyed = [`${cartKeys(userId)[0]}:added`, `${cartKeys(userId)[0]}:added:order`];
    for (const name of keyed) await redis.expire(name, 50);
    await client.addItem({ productId: b, quantity: 1 }, options);
    for (const name of keyed) {
      const ttl = await redis.ttl(name);
      assert.ok(ttl > ttlSeconds - 60 && ttl <= ttlSeconds, `a change did not refresh ${name}: ${ttl}`);
    }
  });

  test("quantity bounds: 1..99 per request, a line never exceeds 99", async () => {
    const { options } = await shopper();
    const id = productIds[3] ?? "";
    for (const quantity of [0, -1, 100]) {
      const error = await failure(client.addItem({ productId: id, quantity }, options));
      assert.equal(error?.code, Code.InvalidArgument);
      assert.match(error.rawMessage, /quantity/);
    }
    await client.addItem({ productId: id, quantity: 60 }, options);
    const over = await failure(client.addItem({ productId: id, quantity: 40 }, options));
    assert.equal(over?.code, Code.FailedPrecondition);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${id}x60`]);
    const { cart: full } = await client.addItem({ productId: id, quantity: 39 }, options);
    assert.deepEqual(lines(full), [`${id}x99`]);
  });

  test("a cart holds at most the maximum number of different products", async () => {
    const { options } = await shopper();
    for (const id of productIds.slice(0, cartLimits.maxLines)) {
      await client.addItem({ productId: id, quantity: 1 }, options);
    }
    const last = productIds[cartLimits.maxLines] ?? "";
    assert.equal(
      (await failure(client.addItem({ productId: last, quantity: 1 }, options)))?.code,
      Code.FailedPrecondition,
    );
    // Adding to an existing line is still fine at the limit.
    const { cart: atLimit } = await client.addItem({ productId: productIds[0] ?? "", quantity: 1 }, options);
    assert.equal(atLimit?.items.length, cartLimits.maxLines);
    assert.equal(atLimit?.items[0]?.quantity, 2);
  });

  test("concurrent adds to one line are atomic: no lost units, never above 99", async () => {
    const { options } = await shopper();
    const id = productIds[4] ?? "";
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () => failure(client.addItem({ productId: id, quantity: 5 }, options))),
    );
    const succeeded = outcomes.filter((error) => error === undefined).length;
    const refusals = outcomes.filter((error) => error !== undefined).map((error) => error.code);
    assert.equal(succeeded, 19);
    assert.deepEqual([...new Set(refusals)], [Code.FailedPrecondition]);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${id}x95`]);
  });

  test("unknown products are NOT_FOUND; ids are stored in the catalog's canonical form", async () => {
    const { options } = await shopper();
    for (const productId of [randomUUID(), "not-a-uuid"]) {
      const error = await failure(client.addItem({ productId, quantity: 1 }, options));
      assert.equal(error?.code, Code.NotFound);
      assert.match(error.rawMessage, new RegExp(productId));
    }
    for (const productId of ["", "has space", "{brace}", "x".repeat(129)]) {
      const error = await failure(client.addItem({ productId, quantity: 1 }, options));
      assert.equal(error?.code, Code.InvalidArgument, productId);
      assert.match(error.rawMessage, /product_id/);
    }
    const id = productIds[5] ?? "";
    const { cart: added } = await client.addItem({ productId: id.toUpperCase(), quantity: 1 }, options);
    assert.deepEqual(lines(added), [`${id}x1`]);
  });

  test("every RPC takes a product id in either case: one added in upper case is removed in upper case", async () => {
    const { options } = await shopper();
    const [a, b] = [productIds[11] ?? "", productIds[12] ?? ""];
    await client.addItem({ productId: a.toUpperCase(), quantity: 2 }, options);
    await client.addItem({ productId: b, quantity: 1 }, options);
    const { cart: removed } = await client.removeItem({ productId: a.toUpperCase() }, options);
    assert.deepEqual(lines(removed), [`${b}x1`]);
    assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${b}x1`]);
  });

  test("product service down: AddItem is UNAVAILABLE and the cart is untouched", async () => {
    const deadPort = await freePort();
    const orphan = await startCart(`http://127.0.0.1:${deadPort}`);
    try {
      const orphanClient = createClient(
        CartService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${orphan.port}` }),
      );
      const { options } = await shopper();
      const error = await failure(
        orphanClient.addItem({ productId: productIds[0] ?? "", quantity: 1 }, options),
      );
      assert.equal(error?.code, Code.Unavailable);
      assert.deepEqual(lines((await orphanClient.getCart({}, options)).cart), []);
    } finally {
      await orphan.shutdown();
    }
  });

  test("product service down: a keyed AddItem already applied is answered from the cart; a new one is UNAVAILABLE", async () => {
    const { options } = await shopper();
    const [a, b] = [productIds[19] ?? "", productIds[20] ?? ""];
    const key = randomUUID();
    await client.addItem({ productId: a, quantity: 2, idempotencyKey: key }, options);
    // A second cart process on the same Redis whose product service is gone: the retry of the
    // applied add must not depend on the catalog.
    const orphan = await startCart(`http://127.0.0.1:${await freePort()}`);
    try {
      const orphanClient = createClient(
        CartService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${orphan.port}` }),
      );
      const { cart: repeat } = await orphanClient.addItem(
        { productId: a.toUpperCase(), quantity: 2, idempotencyKey: key },
        options,
      );
      assert.deepEqual(lines(repeat), [`${a}x2`], "the retry answers the cart and adds nothing");
      for (const other of [
        { productId: b, quantity: 2 },
        { productId: a, quantity: 3 },
      ]) {
        const reused = await failure(orphanClient.addItem({ ...other, idempotencyKey: key }, options));
        assert.equal(
          reused?.code,
          Code.FailedPrecondition,
          `the same key for another add: ${JSON.stringify(other)}`,
        );
        assert.ok(reused.rawMessage.includes(`to add 2 of product "${a}"`), reused.rawMessage);
      }
      for (const idempotencyKey of [randomUUID(), ""]) {
        const error = await failure(
          orphanClient.addItem({ productId: a, quantity: 1, idempotencyKey }, options),
        );
        assert.equal(error?.code, Code.Unavailable, `a new add (key "${idempotencyKey}") needs the catalog`);
      }
      assert.deepEqual(lines((await client.getCart({}, options)).cart), [`${a}x2`]);
    } finally {
      await orphan.shutdown();
    }
  });

  test("every change sets and refreshes the TTL of all the cart's keys; reads do not", async () => {
    const { userId, options } = await shopper();
    const [a, b] = [productIds[6] ?? "", productIds[7] ?? ""];
    await client.addItem({ productId: a, quantity: 1 }, options);
    await client.addItem({ productId: b, quantity: 1 }, options);
    const keys = cartKeys(userId);
    const ttls = () => Promise.all(keys.map((key) => redis.ttl(key)));
    for (const ttl of await ttls()) assert.ok(ttl > ttlSeconds - 60 && ttl <= ttlSeconds, `ttl ${ttl}`);

    for (const key of keys) await redis.expire(key, 50);
    await client.getCart({}, options);
    for (const ttl of await ttls()) assert.ok(ttl <= 50, `a read refreshed the ttl to ${ttl}`);

    await client.addItem({ productId: a, quantity: 1 }, options);
    for (const ttl of await ttls()) assert.ok(ttl > ttlSeconds - 60, `add did not refresh: ${ttl}`);

    for (const key of keys) await redis.expire(key, 50);
    await client.removeItem({ productId: b }, options);
    for (const ttl of await ttls()) assert.ok(ttl > ttlSeconds - 60, `remove did not refresh: ${ttl}`);
  });

  test("an expired cart reads back empty", async () => {
    const { userId, options } = await shopper();
    await client.addItem({ productId: productIds[8] ?? "", quantity: 2 }, options);
    await redis.del(...cartKeys(userId)); // what expiry does, without waiting for it
    const { cart: expired } = await client.getCart({}, options);
    assert.deepEqual(lines(expired), []);
  });

  test("two users' carts are isolated", async () => {
    const alice = await shopper();
    const bob = await shopper();
    const [a, b] = [productIds[9] ?? "", productIds[10] ?? ""];
    await client.addItem({ productId: a, quantity: 3 }, alice.options);
    assert.deepEqual(lines((await client.getCart({}, bob.options)).cart), []);
    await client.addItem({ productId: b, quantity: 1 }, bob.options);
    await client.removeItem({ productId: a }, bob.options);
    await client.clearCart({}, bob.options);
    const { cart: aliceCart } = await client.getCart({}, alice.options);
    assert.equal(aliceCart?.userId, alice.userId);
    assert.deepEqual(lines(aliceCart), [`${a}x3`]);
  });
});
