/**
 * The public REST journey of ARCHITECTURE §6 over the real system: every service and the edge, real
 * Postgres, Redis and JetStream. Written as a user of the API would use it — `fetch` against the edge
 * only — except for the last test, which calls the cart service directly over gRPC to prove the
 * ownership rule does not depend on the edge.
 */

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { createLocalJWKSet, jwtVerify } from "jose";
import { createRestClient, type RestClient, type RestResponse } from "../support/rest-client.js";
import { type RunningSystem, startSystem } from "../support/system.js";

/** The REST routes of ARCHITECTURE §6 (the built-in endpoints are checked on their own). */
const documentedRoutes = [
  "POST /v1/auth/register",
  "POST /v1/auth/login",
  "GET /v1/users/me",
  "GET /v1/products",
  "GET /v1/products/{id}",
  "POST /v1/products",
  "GET /v1/inventory/{productId}",
  "PUT /v1/inventory/{productId}",
  "GET /v1/cart",
  "POST /v1/cart/items",
  "DELETE /v1/cart/items/{productId}",
  "DELETE /v1/cart",
  "POST /v1/orders",
  "GET /v1/orders/{id}",
  "GET /v1/orders",
  "GET /v1/notifications",
];

/** Asserts an error answer: its status and the JSON error body every error carries (§6). */
function assertError(response: RestResponse, status: number, code: string, messageIncludes?: RegExp): void {
  assert.equal(
    response.status,
    status,
    `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`,
  );
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(response.body.code, code);
  assert.equal(typeof response.body.message, "string");
  assert.notEqual(response.body.message, "");
  if (messageIncludes) assert.match(response.body.message, messageIncludes);
}

/** `/v1/inventory/{product_id}` and `/v1/inventory/{productId}` are the same route. */
function routeShape(path: string): string {
  return path.replace(/\{[^}]+\}/g, "{}");
}

describe("REST journey through the edge", { timeout: 120_000 }, () => {
  let system: RunningSystem;
  let api: RestClient;
  let adminToken: string;
  const run = randomUUID().slice(0, 8);

  /** Registers and logs in a new shopper; returns the token and the registered user. */
  async function newShopper(label: string) {
    const email = `${label}-${randomUUID()}@example.com`;
    const password = `pw-${randomUUID()}`;
    const registered = await api("POST", "/v1/auth/register", { body: { email, password, name: label } });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    const login = await api("POST", "/v1/auth/login", { body: { email, password } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    return { email, password, token: login.body.accessToken as string, user: registered.body.user };
  }

  async function createProduct(name: string, units: number): Promise<string> {
    const created = await api("POST", "/v1/products", {
      token: adminToken,
      body: {
        product: {
          name,
          description: `${name} for run ${run}`,
          price: { currencyCode: "EUR", units, nanos: 0 },
        },
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return created.body.product.id as string;
  }

  before(async () => {
    system = await startSystem();
    api = createRestClient(system.edgeUrl);
    adminToken = await system.adminToken();
  });

  after(async () => {
    await system?.stop();
  });

  it("registers, logs in and answers GET /v1/users/me with the same account", async () => {
    const email = `Shopper-${randomUUID()}@Example.com`;
    const registered = await api("POST", "/v1/auth/register", {
      body: { email, password: "correct horse battery staple", name: "Ada" },
    });
    assert.equal(registered.status, 200);
    const user = registered.body.user;
    assert.equal(user.email, email.toLowerCase());
    assert.equal(user.name, "Ada");
    assert.deepEqual(user.roles ?? [], []);
    assert.equal(registered.body.password, undefined);

    const login = await api("POST", "/v1/auth/login", {
      body: { email, password: "correct horse battery staple" },
    });
    assert.equal(login.status, 200);
    assert.equal(typeof login.body.accessToken, "string");
    assert.equal(login.body.user.id, user.id);

    const me = await api("GET", "/v1/users/me", { token: login.body.accessToken });
    assert.equal(me.status, 200);
    assert.equal(me.body.user.id, user.id);
    assert.equal(me.body.user.email, user.email);
  });

  it("serves the public keys as a standard JWKS that verifies the tokens it issues", async () => {
    const { token } = await newShopper("jwks");
    const keys = await api("GET", "/v1/auth/keys");
    assert.equal(keys.status, 200);
    assert.ok(keys.body.keys.length >= 1);
    for (const key of keys.body.keys) {
      assert.equal(key.kty, "EC");
      assert.equal(key.crv, "P-256");
      assert.ok(key.x && key.y, "EC coordinates present");
      assert.ok(!("d" in key), "no private member");
    }
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.body));
    assert.equal(typeof payload.sub, "string");
  });

  it("lets the admin create products and set stock, and anyone read them", async () => {
    const id = await createProduct(`Teapot ${run}`, 24);
    const product = await api("GET", `/v1/products/${id}`);
    assert.equal(product.status, 200);
    assert.equal(product.body.product.id, id);
    assert.equal(product.body.product.name, `Teapot ${run}`);
    assert.deepEqual(product.body.product.price, { currencyCode: "EUR", units: "24", nanos: 0 });

    const set = await api("PUT", `/v1/inventory/${id}`, { token: adminToken, body: { available: 7 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.stock.available, 7);

    const stock = await api("GET", `/v1/inventory/${id}`);
    assert.equal(stock.status, 200);
    assert.equal(stock.body.stock.productId, id);
    assert.equal(stock.body.stock.available, 7);
    assert.equal(stock.body.stock.reserved ?? 0, 0);
  });

  it("pages through a text query with page tokens, every match exactly once", async () => {
    const word = `kettle${run}`;
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(await createProduct(`Copper ${word} ${i}`, 30 + i));
    await createProduct(`Unrelated ${run}`, 5);

    const seen: string[] = [];
    let pageToken = "";
    let pages = 0;
    do {
      const query = new URLSearchParams({ query: word, pageSize: "2", ...(pageToken ? { pageToken } : {}) });
      const page = await api("GET", `/v1/products?${query}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.products.length <= 2);
      seen.push(...page.body.products.map((p: { id: string }) => p.id));
      pageToken = page.body.nextPageToken ?? "";
      pages++;
      assert.ok(pages <= 5, "paging must end");
    } while (pageToken !== "");
    assert.equal(pages, 3);
    assert.equal(seen.length, ids.size);
    assert.deepEqual(new Set(seen), ids);

    const all = await api("GET", "/v1/products?pageSize=100");
    assert.equal(all.status, 200);
    assert.ok(all.body.products.length >= ids.size + 1);
  });

  it("fills and empties a cart: add, get, remove, clear", async () => {
    const shopper = await newShopper("cart");
    const mug = await createProduct(`Mug ${run}`, 9);
    const cup = await createProduct(`Cup ${run}`, 4);

    const empty = await api("GET", "/v1/cart", { token: shopper.token });
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.body.cart?.items ?? [], []);

    const added = await api("POST", "/v1/cart/items", {
      token: shopper.token,
      body: { productId: mug, quantity: 2 },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    await api("POST", "/v1/cart/items", { token: shopper.token, body: { productId: cup, quantity: 1 } });
    const again = await api("POST", "/v1/cart/items", {
      token: shopper.token,
      body: { productId: mug, quantity: 1 },
    });
    assert.equal(again.status, 200);

    const cart = await api("GET", "/v1/cart", { token: shopper.token });
    assert.equal(cart.status, 200);
    const quantities = Object.fromEntries(
      cart.body.cart.items.map((item: { productId: string; quantity: number }) => [
        item.productId,
        item.quantity,
      ]),
    );
    assert.deepEqual(quantities, { [mug]: 3, [cup]: 1 });

    const removed = await api("DELETE", `/v1/cart/items/${mug}`, { token: shopper.token });
    assert.equal(removed.status, 200);
    assert.deepEqual(
      removed.body.cart.items.map((item: { productId: string }) => item.productId),
      [cup],
    );

    const cleared = await api("DELETE", "/v1/cart", { token: shopper.token });
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.body, {});
    const after = await api("GET", "/v1/cart", { token: shopper.token });
    assert.deepEqual(after.body.cart?.items ?? [], []);
  });

  it("applies a retried POST /v1/cart/items or /v1/products with the same Idempotency-Key once", async () => {
    const openapi = await api("GET", "/openapi.json");
    for (const path of ["/v1/cart/items", "/v1/products"]) {
      const parameters: Array<{ name: string; in: string }> = openapi.body.paths[path].post.parameters ?? [];
      assert.ok(
        parameters.some((p) => p.in === "header" && p.name === "Idempotency-Key"),
        `${path} lists the Idempotency-Key header`,
      );
    }

    const shopper = await newShopper("retry");
    const plate = await createProduct(`Plate ${run}`, 6);
    const addPlates = (key: string) =>
      api("POST", "/v1/cart/items", {
        token: shopper.token,
        headers: { "Idempotency-Key": key },
        body: { productId: plate, quantity: 2 },
      });
    const first = await addPlates(`add-${run}`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const retried = await addPlates(`add-${run}`);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.deepEqual(retried.body.cart.items, [{ productId: plate, quantity: 2 }], "the retry added nothing");
    const another = await addPlates(`another-add-${run}`);
    assert.deepEqual(another.body.cart.items, [{ productId: plate, quantity: 4 }], "another key adds again");
    const cart = await api("GET", "/v1/cart", { token: shopper.token });
    assert.deepEqual(cart.body.cart.items, [{ productId: plate, quantity: 4 }]);

    const bowl = {
      product: { name: `Bowl ${run}`, price: { currencyCode: "EUR", units: 8, nanos: 0 } },
    };
    const createBowl = (key: string) =>
      api("POST", "/v1/products", { token: adminToken, headers: { "Idempotency-Key": key }, body: bowl });
    const created = await createBowl(`bowl-${run}`);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const again = await createBowl(`bowl-${run}`);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.product.id, created.body.product.id, "the retry answers the first product");
    const second = await createBowl(`bowl-2-${run}`);
    assert.notEqual(second.body.product.id, created.body.product.id);
    const listed = await api("GET", `/v1/products?${new URLSearchParams({ query: `Bowl ${run}` })}`);
    assert.equal(listed.body.products.length, 2, JSON.stringify(listed.body));
  });

  it("answers 401 with a JSON error when a user route is called without a token or with a bad one", async () => {
    assertError(await api("GET", "/v1/users/me"), 401, "unauthenticated");
    assertError(await api("GET", "/v1/cart"), 401, "unauthenticated");
    assertError(
      await api("POST", "/v1/cart/items", { body: { productId: randomUUID(), quantity: 1 } }),
      401,
      "unauthenticated",
    );
    assertError(await api("GET", "/v1/users/me", { token: "not-a-jwt" }), 401, "unauthenticated");
    const wrong = await api("POST", "/v1/auth/login", {
      body: { email: system.admin.email, password: "not the password" },
    });
    assertError(wrong, 401, "unauthenticated");
  });

  it("answers 403 when a signed-in shopper calls an admin route", async () => {
    const shopper = await newShopper("nonadmin");
    const id = await createProduct(`Guarded ${run}`, 3);
    assertError(
      await api("POST", "/v1/products", {
        token: shopper.token,
        body: { product: { name: "Sneaky", price: { currencyCode: "EUR", units: 1, nanos: 0 } } },
      }),
      403,
      "permission_denied",
    );
    assertError(
      await api("PUT", `/v1/inventory/${id}`, { token: shopper.token, body: { available: 1000 } }),
      403,
      "permission_denied",
    );
    // Nothing changed behind the refusal.
    const stock = await api("GET", `/v1/inventory/${id}`);
    assert.equal(stock.body.stock.available ?? 0, 0);
  });

  it("answers 409 when an email is registered twice, whatever its case", async () => {
    const shopper = await newShopper("dup");
    assertError(
      await api("POST", "/v1/auth/register", {
        body: { email: shopper.email.toUpperCase(), password: "another password", name: "Twin" },
      }),
      409,
      "already_exists",
    );
  });

  it("answers 400 on malformed JSON and on invalid fields, naming the field", async () => {
    const shopper = await newShopper("bad");
    assertError(
      await api("POST", "/v1/auth/register", { body: '{"email": "x@example.com",' }),
      400,
      "invalid_argument",
    );
    assertError(
      await api("POST", "/v1/cart/items", { token: shopper.token, body: "[1, 2" }),
      400,
      "invalid_argument",
    );
    assertError(
      await api("POST", "/v1/auth/register", {
        body: { email: "not-an-email", password: "long enough pw", name: "X" },
      }),
      400,
      "invalid_argument",
      /email/,
    );
    assertError(
      await api("POST", "/v1/auth/register", {
        body: { email: `${randomUUID()}@example.com`, password: "short", name: "X" },
      }),
      400,
      "invalid_argument",
      /password/,
    );
    const id = await createProduct(`Bounded ${run}`, 2);
    assertError(
      await api("POST", "/v1/cart/items", { token: shopper.token, body: { productId: id, quantity: 0 } }),
      400,
      "invalid_argument",
      /quantity/,
    );
    assertError(
      await api("PUT", `/v1/inventory/${id}`, { token: adminToken, body: { available: -1 } }),
      400,
      "invalid_argument",
      /available/,
    );
    assertError(
      await api("POST", "/v1/products", {
        token: adminToken,
        body: { product: { name: "", price: { currencyCode: "EUR", units: 1, nanos: 0 } } },
      }),
      400,
      "invalid_argument",
      /name/,
    );
    assertError(await api("GET", "/v1/products?pageSize=-1"), 400, "invalid_argument", /page_size|pageSize/);
  });

  it("answers 404 for an unknown product, on the catalog and in the cart", async () => {
    const shopper = await newShopper("missing");
    const unknown = randomUUID();
    assertError(await api("GET", `/v1/products/${unknown}`), 404, "not_found");
    assertError(
      await api("POST", "/v1/cart/items", {
        token: shopper.token,
        body: { productId: unknown, quantity: 1 },
      }),
      404,
      "not_found",
    );
    assertError(await api("GET", "/v1/no-such-route"), 404, "not_found");
  });

  it("answers 429 with Retry-After once a client's burst exceeds its bucket", async () => {
    const tiny = createRestClient(
      await system.startExtraEdge({ RATE_LIMIT_CAPACITY: "3", RATE_LIMIT_REFILL_PER_SECOND: "0.01" }),
    );
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => tiny("GET", "/v1/products?pageSize=1")),
    );
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    assert.equal(ok.length, 3, `statuses: ${answers.map((a) => a.status).join(",")}`);
    assert.equal(limited.length, 5);
    for (const answer of limited) {
      assertError(answer, 429, "resource_exhausted");
      assert.ok(Number(answer.headers.get("retry-after")) >= 1);
    }
    // The main edge's buckets are separate: the journey's client is not limited by the burst.
    assert.equal((await api("GET", "/v1/products?pageSize=1")).status, 200);
  });

  it("serves a valid OpenAPI 3.1 document listing every REST route", async () => {
    const openapi = await api("GET", "/openapi.json");
    assert.equal(openapi.status, 200);
    assert.equal(openapi.body.openapi, "3.1.0");
    await SwaggerParser.validate(structuredClone(openapi.body));
    const listed = new Set<string>();
    for (const [path, item] of Object.entries(
      openapi.body.paths as Record<string, Record<string, unknown>>,
    )) {
      for (const method of Object.keys(item)) listed.add(`${method.toUpperCase()} ${routeShape(path)}`);
    }
    const missing = documentedRoutes.filter((route) => {
      const [method, path = ""] = route.split(" ");
      return !listed.has(`${method} ${routeShape(path)}`);
    });
    assert.deepEqual(missing, []);
  });

  it("reports liveness, readiness with every upstream SERVING, and Prometheus metrics", async () => {
    const healthz = await api("GET", "/healthz");
    assert.equal(healthz.status, 200);

    const readyz = await api("GET", "/readyz");
    assert.equal(readyz.status, 200, JSON.stringify(readyz.body));
    assert.equal(readyz.body.ready, true);
    assert.deepEqual(Object.keys(readyz.body.upstreams).sort(), [
      "cart",
      "inventory",
      "notification",
      "order",
      "payment",
      "product",
      "user",
    ]);
    for (const [name, status] of Object.entries(readyz.body.upstreams)) assert.equal(status, "SERVING", name);

    const metrics = await fetch(new URL("/metrics", system.edgeUrl));
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await metrics.text();
    // The requests this file made are counted, including the errors.
    assert.match(text, /^# TYPE \S+ (counter|histogram)/m);
    assert.match(text, /\/v1\/products/);
    assert.match(text, /\b404\b/);
  });

  it("keeps carts private on a direct gRPC call: user B's token never reads user A's cart", async () => {
    const alice = await newShopper("alice");
    const bob = await newShopper("bob");
    const id = await createProduct(`Private ${run}`, 11);
    const added = await api("POST", "/v1/cart/items", {
      token: alice.token,
      body: { productId: id, quantity: 4 },
    });
    assert.equal(added.status, 200);

    const cart = createClient(CartService, createGrpcTransport({ baseUrl: system.urls.cart }));
    const asAlice = await cart.getCart({}, { headers: { authorization: `Bearer ${alice.token}` } });
    assert.deepEqual(
      asAlice.cart?.items.map((item) => [item.productId, item.quantity]),
      [[id, 4]],
    );
    assert.equal(asAlice.cart?.userId, alice.user.id);

    const asBob = await cart.getCart({}, { headers: { authorization: `Bearer ${bob.token}` } });
    assert.deepEqual(asBob.cart?.items ?? [], []);
    assert.notEqual(asBob.cart?.userId, alice.user.id);

    // Bob cannot touch Alice's cart either: removing the item from "his" cart leaves hers intact.
    await cart.removeItem({ productId: id }, { headers: { authorization: `Bearer ${bob.token}` } });
    const stillAlice = await cart.getCart({}, { headers: { authorization: `Bearer ${alice.token}` } });
    assert.equal(stillAlice.cart?.items.length, 1);

    // No token, or a token with a forged payload, is refused outright.
    await assert.rejects(cart.getCart({}), (error) => ConnectError.from(error).code === Code.Unauthenticated);
    const [header, , signature] = bob.token.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ sub: alice.user.id })).toString("base64url");
    await assert.rejects(
      cart.getCart({}, { headers: { authorization: `Bearer ${header}.${forgedPayload}.${signature}` } }),
      (error) => ConnectError.from(error).code === Code.Unauthenticated,
    );
  });
});
