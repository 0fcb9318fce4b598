import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { CartSchema, CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { InventoryService, StockSchema } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { type Product, ProductSchema, ProductService } from "@shop/gen/shop/product/v1/product_pb";
import { JsonWebKeySchema, UserService } from "@shop/gen/shop/user/v1/user_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { createLogger } from "@shop/platform/log";
import { type GrpcServer, serviceImpl, startGrpcServer } from "@shop/platform/server/server";
import { createTestRedisPrefix, freePort, type TestRedisPrefix } from "@shop/platform/testing";
import { type EdgeConfig, parseEdgeConfig } from "../src/config.js";
import { type Edge, startEdge } from "../src/service.js";

const logger = createLogger({ service: "edge-test", level: "silent" });

/** Headers the upstream saw on its last call, to check what the edge forwards. */
let lastHeaders: Headers | undefined;
const products = new Map<string, Product>();

async function startUpstreams(): Promise<GrpcServer> {
  return startGrpcServer({
    port: 0,
    host: "127.0.0.1",
    logger,
    drainDelayMs: 0,
    services: [
      serviceImpl(ProductService, {
        async getProduct(req, ctx) {
          lastHeaders = ctx.requestHeader;
          if (req.id === "slow") {
            await new Promise((resolve) => setTimeout(resolve, 3000).unref());
          }
          if (req.id === "broken") {
            // What a failing upstream's message may hold: meant for its operators, not for the public.
            throw new ConnectError("pq: password authentication failed for 10.0.0.5:5432", Code.Internal);
          }
          const product = products.get(req.id);
          if (!product) throw new ConnectError(`product ${req.id} not found`, Code.NotFound);
          return { product };
        },
        async listProducts(req) {
          const all = [...products.values()].filter((p) => p.name.includes(req.query));
          return {
            products: all.slice(0, req.pageSize || 20),
            nextPageToken: req.pageToken ? `after-${req.pageToken}` : "",
          };
        },
        async createProduct(req, ctx) {
          lastHeaders = ctx.requestHeader;
          const product = create(ProductSchema, {
            name: req.product?.name ?? "",
            description: req.product?.description ?? "",
            ...(req.product?.price ? { price: req.product.price } : {}),
            id: `p${products.size + 1}`,
            createTime: timestampNow(),
          });
          products.set(product.id, product);
          return { product };
        },
        async updateProduct(req) {
          const current = products.get(req.product?.id ?? "");
          if (!current) throw new ConnectError("no such product", Code.NotFound);
          const paths = req.updateMask?.paths ?? ["name", "description"];
          if (paths.includes("name")) current.name = req.product?.name ?? "";
          if (paths.includes("description")) current.description = req.product?.description ?? "";
          return { product: current };
        },
      }),
      serviceImpl(InventoryService, {
        async getStock(req) {
          return { stock: create(StockSchema, { productId: req.productId, available: 0 }) };
        },
        async setStock(req) {
          return { stock: create(StockSchema, { productId: req.productId, available: req.available }) };
        },
      }),
      serviceImpl(CartService, {
        async removeItem(req, ctx) {
          lastHeaders = ctx.requestHeader;
          return {
            cart: create(CartSchema, {
              userId: "u1",
              items: [{ productId: `kept-not-${req.productId}`, quantity: 1 }],
            }),
          };
        },
      }),
    ],
  });
}

interface RawResponse {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
}

/**
 * Sends `request` as raw bytes on a fresh connection and reads the reply until the server closes
 * it: what fetch cannot send (absolute-form targets, raw non-ASCII, malformed requests).
 */
function rawRequest(
  port: number,
  request: string | Buffer,
  options: { halfClose?: boolean } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // halfClose: the client shuts its sending side right after the request, as some clients do.
    const socket = connect(port, "127.0.0.1", () =>
      options.halfClose ? socket.end(request) : socket.write(request),
    );
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
      const headers = new Map(
        lines.map((line) => {
          const colon = line.indexOf(":");
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
        }),
      );
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: text.slice(split + 4) });
    });
  });
}

function edgeConfig(upstream: string, overrides: Record<string, string> = {}): EdgeConfig {
  const config = parseEdgeConfig({
    LOG_LEVEL: "silent",
    USER_URL: upstream,
    PRODUCT_URL: upstream,
    ORDER_URL: upstream,
    CART_URL: upstream,
    PAYMENT_URL: upstream,
    INVENTORY_URL: upstream,
    NOTIFICATION_URL: upstream,
    UPSTREAM_TIMEOUT_MS: "400",
    BODY_LIMIT_BYTES: "2048",
    CORS_ALLOWED_ORIGINS: "https://shop.example",
    SHUTDOWN_GRACE_MS: "1000",
    ...overrides,
  });
  return { ...config, EDGE_PORT: 0, EDGE_HOST: "127.0.0.1" };
}

describe("edge gateway over real HTTP, gRPC and Redis", () => {
  let upstreams: GrpcServer;
  let edge: Edge;
  let issuer: TestTokenIssuer;
  let redisPrefix: TestRedisPrefix;
  let base: string;
  let adminToken: string;
  let userToken: string;

  before(async () => {
    upstreams = await startUpstreams();
    issuer = await createTestTokenIssuer();
    redisPrefix = createTestRedisPrefix({ prefix: "edge-test" });
    edge = await startEdge(
      edgeConfig(`http://127.0.0.1:${upstreams.port}`, { RATE_LIMIT_KEY_PREFIX: redisPrefix.prefix }),
      {
        logger,
        verifier: issuer.verifier,
      },
    );
    base = `http://127.0.0.1:${edge.port}`;
    adminToken = await issuer.sign({ userId: "admin-1", email: "a@shop.test", roles: ["admin"] });
    userToken = await issuer.sign({ userId: "user-1", email: "u@shop.test" });
  });

  after(async () => {
    await edge.shutdown();
    await upstreams.shutdown();
    await redisPrefix.cleanup();
  });

  const call = (
    method: string,
    path: string,
    init: { token?: string; body?: string; headers?: Record<string, string> } = {},
  ) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: init.body }),
    });

  async function expectError(res: Response, status: number, code: string) {
    assert.equal(res.status, status);
    const body = (await res.json()) as { code: string; message: string; requestId: string };
    assert.equal(body.code, code);
    assert.ok(body.message.length > 0);
    assert.equal(body.requestId, res.headers.get("x-request-id"));
    return body;
  }

  it('creates with body "*" as an admin, forwarding the token, trace and request id', async () => {
    const res = await call("POST", "/v1/products", {
      token: adminToken,
      headers: { "x-request-id": "req-123" },
      body: JSON.stringify({
        product: { name: "Red mug", price: { currencyCode: "EUR", units: "12", nanos: 500000000 } },
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-request-id"), "req-123");
    const body = (await res.json()) as { product: { id: string; name: string; price: { units: string } } };
    assert.equal(body.product.name, "Red mug");
    assert.equal(body.product.price.units, "12");
    assert.equal(lastHeaders?.get("authorization"), `Bearer ${adminToken}`);
    assert.equal(lastHeaders?.get("x-request-id"), "req-123");
    assert.match(lastHeaders?.get("traceparent") ?? "", /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it("echoes only a safe caller request id, replacing any other with a fresh one", async () => {
    const unsafe = '"><svg/onload=alert(1)>';
    const res = await call("GET", "/v1/nowhere", { headers: { "x-request-id": unsafe } });
    const body = await expectError(res, 404, "not_found");
    assert.notEqual(body.requestId, unsafe);
    assert.match(body.requestId, /^[0-9a-f-]{36}$/);
    const kept = await call("GET", "/v1/nowhere", { headers: { "x-request-id": "edge.test:42_a-b" } });
    assert.equal((await expectError(kept, 404, "not_found")).requestId, "edge.test:42_a-b");
  });

  it("continues the caller's trace: the upstream call is a child of the edge's span in the same trace", async () => {
    const created = products.values().next().value as Product;
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const callerSpanId = "00f067aa0ba902b7";
    const res = await call("GET", `/v1/products/${created.id}`, {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
    });
    assert.equal(res.status, 200);
    const forwarded = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(lastHeaders?.get("traceparent") ?? "");
    assert.ok(forwarded, `upstream traceparent: ${lastHeaders?.get("traceparent")}`);
    assert.equal(forwarded[1], traceId);
    assert.notEqual(
      forwarded[2],
      callerSpanId,
      "the edge's own spans sit between the caller and the upstream",
    );
  });

  it("gets with a path variable and lists with query parameters", async () => {
    const created = products.values().next().value as Product;
    const got = await call("GET", `/v1/products/${created.id}`);
    assert.equal(got.status, 200);
    assert.equal(((await got.json()) as { product: { id: string } }).product.id, created.id);

    const listed = await call("GET", "/v1/products?pageSize=1&pageToken=abc&query=mug");
    assert.equal(listed.status, 200);
    const page = (await listed.json()) as { products: unknown[]; nextPageToken: string };
    assert.equal(page.products.length, 1);
    assert.equal(page.nextPageToken, "after-abc");
  });

  it("emits zero values so responses are complete", async () => {
    const res = await call("GET", "/v1/inventory/p1");
    assert.deepEqual(await res.json(), { stock: { productId: "p1", available: 0, reserved: 0 } });
  });

  it("patches with a field body, a nested path variable and an update mask", async () => {
    const created = products.values().next().value as Product;
    const res = await call("PATCH", `/v1/products/${created.id}?updateMask=name`, {
      token: adminToken,
      body: JSON.stringify({ name: "Blue mug", description: "not applied" }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { product: { id: string; name: string; description: string } };
    assert.equal(body.product.id, created.id);
    assert.equal(body.product.name, "Blue mug");
    assert.equal(body.product.description, "");
  });

  it("deletes with a path variable for a signed-in user", async () => {
    const res = await call("DELETE", "/v1/cart/items/p42", { token: userToken });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { cart: { items: Array<{ productId: string }> } };
    assert.equal(body.cart.items[0]?.productId, "kept-not-p42");
    assert.equal(lastHeaders?.get("authorization"), `Bearer ${userToken}`);
  });

  it("marks answers for a caller no-store (a token was needed or sent), leaving public reads cacheable", async () => {
    const created = products.values().next().value as Product;
    const perCaller = [
      await call("DELETE", "/v1/cart/items/p42", { token: userToken }),
      await call("GET", "/v1/cart"), // 401: the error of a signed-in route too
      await call("GET", `/v1/products/${created.id}`, { token: userToken }),
    ];
    for (const res of perCaller) {
      assert.equal(res.headers.get("cache-control"), "no-store", `${res.url} ${res.status}`);
      await res.body?.cancel();
    }
    const anonymous = await call("GET", `/v1/products/${created.id}`);
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.headers.get("cache-control"), null);
    await anonymous.body?.cancel();
  });

  it("answers 400 for a repeated Authorization or Idempotency-Key header instead of picking one", async () => {
    const created = products.values().next().value as Product;
    const requests = [
      // Node kept the first Authorization: the admin's, although the last one is a user's.
      `DELETE /v1/cart/items/p42 HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer ${adminToken}\r\n` +
        `Authorization: Bearer ${userToken}\r\nConnection: close\r\n\r\n`,
      `GET /v1/products/${created.id} HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer ${userToken}\r\n` +
        "Authorization: Basic dTpw\r\nConnection: close\r\n\r\n",
      // Node joined these into the key "a, b", which the client never chose.
      "POST /v1/orders HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer " +
        `${userToken}\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Type: application/json\r\n` +
        "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
    ];
    for (const request of requests) {
      lastHeaders = undefined;
      const res = await rawRequest(edge.port, request);
      assert.equal(res.status, 400, request);
      const body = JSON.parse(res.body) as { code: string; message: string };
      assert.equal(body.code, "invalid_argument");
      assert.match(body.message, /^send one (authorization|idempotency-key) header, not 2$/);
      assert.equal(lastHeaders, undefined, "no upstream call");
    }
  });

  it("maps upstream NotFound to 404 and unknown routes to a JSON 404", async () => {
    await expectError(await call("GET", "/v1/products/missing"), 404, "not_found");
    await expectError(await call("GET", "/v1/nowhere"), 404, "not_found");
    const res = await call("PUT", "/v1/products/x");
    await expectError(res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "GET, HEAD, PATCH");
  });

  it("reads a path starting with // as a path (404), not as a host, and keeps absolute-form targets", async () => {
    const cart = await expectError(
      await call("GET", "//evil.example/v1/cart", { token: userToken }),
      404,
      "not_found",
    );
    assert.equal(cart.message, "no route for //evil.example/v1/cart");
    const list = await expectError(await call("GET", "//v1/products"), 404, "not_found");
    assert.equal(list.message, "no route for //v1/products");
    const created = products.values().next().value as Product;
    const absolute = await rawRequest(
      edge.port,
      `GET http://shop.example/v1/products/${created.id} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(absolute.status, 200);
    assert.equal((JSON.parse(absolute.body) as { product: { id: string } }).product.id, created.id);
  });

  it("answers 400 for a path that is not valid percent-encoded UTF-8", async () => {
    for (const path of ["/v1/orders/%FF", "/v1/products/%FF"]) {
      const body = await expectError(await call("GET", path, { token: userToken }), 400, "invalid_argument");
      assert.match(body.message, /not valid percent-encoded UTF-8/);
    }
  });

  it("answers requests Node's HTTP parser or server rejects with the JSON error body, then closes", async () => {
    const expectParserError = (res: RawResponse, status: number, code: string) => {
      assert.equal(res.status, status);
      assert.equal(res.headers.get("connection"), "close");
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(Number(res.headers.get("content-length")), Buffer.byteLength(res.body));
      const body = JSON.parse(res.body) as { code: string; message: string; requestId: string };
      assert.equal(body.code, code);
      assert.ok(body.message.length > 0);
      assert.equal(body.requestId, res.headers.get("x-request-id"));
      return body;
    };
    const bigHeader = `GET /v1/products HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`;
    expectParserError(await rawRequest(edge.port, bigHeader), 431, "request_header_fields_too_large");
    const emoji = Buffer.from("GET /v1/products?query=\u{1F600} HTTP/1.1\r\nHost: x\r\n\r\n", "utf8");
    const bad = expectParserError(await rawRequest(edge.port, emoji), 400, "invalid_argument");
    assert.match(bad.message, /malformed HTTP request/);
    const chunkExtensions =
      "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      `Transfer-Encoding: chunked\r\n\r\n2;${"e".repeat(20_000)}\r\n{}\r\n0\r\n\r\n`;
    expectParserError(await rawRequest(edge.port, chunkExtensions), 413, "payload_too_large");
    // Not the parser but Node's server refused an HTTP/1.1 request without Host, with an empty body.
    const noHost = "GET /v1/products HTTP/1.1\r\nConnection: keep-alive\r\n\r\n";
    const hostless = expectParserError(await rawRequest(edge.port, noHost), 400, "invalid_argument");
    assert.match(hostless.message, /Host/);
    const http10 = await rawRequest(edge.port, "GET /v1/products HTTP/1.0\r\n\r\n");
    assert.equal(http10.status, 200, "HTTP/1.0 has no Host requirement");
    assert.equal((await call("GET", "/healthz")).status, 200, "the edge serves on");
  });

  it("answers 400 for a repeated or malformed Host header", async () => {
    for (const hosts of ["Host: a\r\nHost: b", "Host: a b", "Host: a/b"]) {
      const res = await rawRequest(edge.port, `GET /v1/products?pageSize=1 HTTP/1.1\r\n${hosts}\r\n\r\n`);
      assert.equal(res.status, 400, hosts);
      assert.equal(res.headers.get("connection"), "close", hosts);
      assert.match((JSON.parse(res.body) as { message: string }).message, /Host/, hosts);
    }
    for (const host of ["shop.example:8080", "127.0.0.1", "[::1]:80", "xn--caf-dma.example"]) {
      const res = await rawRequest(
        edge.port,
        `GET /v1/products?pageSize=1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assert.equal(res.status, 200, host);
    }
  });

  it("answers 400 for a query whose percent-escapes are not UTF-8 instead of searching for U+FFFD", async () => {
    for (const query of ["query=caf%E9", "query=100%"]) {
      const body = await expectError(await call("GET", `/v1/products?${query}`), 400, "invalid_argument");
      assert.match(body.message, /malformed URL/, query);
    }
    assert.equal((await call("GET", "/v1/products?query=caf%C3%A9")).status, 200);
  });

  it("answers a client that half-closes after its request (the answer is written, then the connection closed)", async () => {
    const created = products.values().next().value as Product;
    const request = `GET /v1/products/${created.id} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const res = await rawRequest(edge.port, request, { halfClose: true });
    assert.equal(res.status, 200);
    assert.equal((JSON.parse(res.body) as { product: { id: string } }).product.id, created.id);
  });

  it("answers 405 with Allow for other methods on its own endpoints, 417 and 501 with the JSON body", async () => {
    for (const [method, path] of [
      ["POST", "/healthz"],
      ["DELETE", "/readyz"],
      ["PUT", "/openapi.json"],
    ] as const) {
      const res = await call(method, path);
      await expectError(res, 405, "method_not_allowed");
      assert.equal(res.headers.get("allow"), "GET, HEAD", `${method} ${path}`);
    }
    // fetch will not send Expect, so raw bytes.
    const expectation = await rawRequest(
      edge.port,
      "GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nConnection: close\r\n\r\n",
    );
    assert.equal(expectation.status, 417);
    const expectationBody = JSON.parse(expectation.body) as { code: string; requestId: string };
    assert.equal(expectationBody.code, "expectation_failed");
    assert.equal(expectationBody.requestId, expectation.headers.get("x-request-id"));
    const unknownMethod = await rawRequest(edge.port, "FOO /v1/products HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(unknownMethod.status, 501);
    assert.equal((JSON.parse(unknownMethod.body) as { code: string }).code, "not_implemented");
  });

  it("hides what an upstream's internal error says: a generic message, the request id to find it in logs", async () => {
    const body = await expectError(await call("GET", "/v1/products/broken"), 500, "internal");
    assert.equal(body.message, "internal error");
    assert.doesNotMatch(JSON.stringify(body), /10\.0\.0\.5|password/);
  });

  it("answers CONNECT with 405 and the JSON error body instead of dropping the connection", async () => {
    const res = await rawRequest(
      edge.port,
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    );
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("connection"), "close");
    // The contracts route GET, POST, PUT, PATCH and DELETE; HEAD and OPTIONS are served on every path.
    assert.equal(res.headers.get("allow"), "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    const body = JSON.parse(res.body) as { code: string; message: string; requestId: string };
    assert.equal(body.code, "method_not_allowed");
    assert.match(body.message, /CONNECT/);
    assert.equal(body.requestId, res.headers.get("x-request-id"));
    assert.equal((await call("GET", "/healthz")).status, 200, "the edge serves on");
  });

  it("answers HEAD wherever GET is served: same status and headers, no body", async () => {
    const created = products.values().next().value as Product;
    const got = await call("GET", `/v1/products/${created.id}`);
    const head = await call("HEAD", `/v1/products/${created.id}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), got.headers.get("content-type"));
    assert.equal(head.headers.get("content-length"), got.headers.get("content-length"));
    assert.equal(await head.text(), "");
    const missing = await call("HEAD", "/v1/products/missing");
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(missing.headers.get("x-request-id")?.length, 36);
    assert.equal(await missing.text(), "");
    const listed = await call("HEAD", "/v1/products?pageSize=1");
    assert.equal(listed.status, 200);
    const refused = await call("HEAD", "/v1/cart/items/p1");
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get("allow"), "DELETE");
  });

  it("answers 400 for malformed JSON and unknown fields, 415 for non-JSON, 413 for big bodies", async () => {
    await expectError(
      await call("POST", "/v1/products", { token: adminToken, body: '{"product":' }),
      400,
      "invalid_argument",
    );
    const unknown = await expectError(
      await call("POST", "/v1/products", {
        token: adminToken,
        body: JSON.stringify({ product: { colour: "red" } }),
      }),
      400,
      "invalid_argument",
    );
    assert.match(unknown.message, /colour/);
    // `__proto__` is a key like any other: unknown, at the top level and in a nested message.
    const protoKeys: [method: string, path: string, body: string][] = [
      ["PUT", "/v1/inventory/p1", '{"available": 1, "__proto__": {"x": 1}}'],
      ["POST", "/v1/products", '{"product": {"name": "Mug", "__proto__": {"x": 1}}}'],
    ];
    for (const [method, path, body] of protoKeys) {
      const refused = await expectError(
        await call(method, path, { token: adminToken, body }),
        400,
        "invalid_argument",
      );
      assert.match(refused.message, /key "__proto__" is unknown/, body);
    }
    // A chunked body (Transfer-Encoding, no Content-Length) is read too: only a request that
    // declares no body skips reading it.
    const chunked = await fetch(`${base}/v1/products`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: new Blob(['{"product":']).stream(),
      duplex: "half",
    } as RequestInit);
    await expectError(chunked, 400, "invalid_argument");
    await expectError(
      await call("POST", "/v1/products", {
        token: adminToken,
        body: "name=x",
        headers: { "content-type": "text/plain" },
      }),
      415,
      "unsupported_media_type",
    );
    // The edge does not decompress: a gzipped body was answered "malformed JSON" (400).
    const gzipped = await fetch(`${base}/v1/products`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "content-encoding": "gzip",
        authorization: `Bearer ${adminToken}`,
      },
      body: gzipSync(JSON.stringify({ product: { name: "Zipped mug" } })),
    });
    assert.equal(gzipped.headers.get("accept-encoding"), "identity");
    await expectError(gzipped, 415, "unsupported_media_type");
    const big = JSON.stringify({ product: { name: "x".repeat(4096) } });
    await expectError(
      await call("POST", "/v1/products", { token: adminToken, body: big }),
      413,
      "payload_too_large",
    );
  });

  it("answers 400 for a body that is not UTF-8 instead of storing U+FFFD in its place", async () => {
    // "Mug é" as Latin-1: 0xE9 alone is no UTF-8 sequence; decoded leniently it became "Mug \uFFFD".
    const latin1 = Buffer.concat([
      Buffer.from('{"product":{"name":"Mug '),
      Buffer.from([0xe9]),
      Buffer.from('","price":{"currencyCode":"EUR","units":"1"}}}'),
    ]);
    const before = products.size;
    const refused = await expectError(
      await fetch(`${base}/v1/products`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
        body: latin1,
      }),
      400,
      "invalid_argument",
    );
    assert.match(refused.message, /UTF-8/);
    assert.equal(products.size, before, "nothing was created");
  });

  it("answers 400 naming a REQUIRED body field that is missing or null, before any upstream call", async () => {
    for (const body of ["{}", '{"available": null}']) {
      const refused = await expectError(
        await call("PUT", "/v1/inventory/p1", { token: adminToken, body }),
        400,
        "invalid_argument",
      );
      assert.match(refused.message, /"available"/, body);
    }
    const zero = await call("PUT", "/v1/inventory/p1", { token: adminToken, body: '{"available": 0}' });
    assert.equal(zero.status, 200);
    assert.deepEqual(await zero.json(), { stock: { productId: "p1", available: 0, reserved: 0 } });
    // The path supplies PATCH's required `product` (its id), so a partial body is enough.
    const created = products.values().next().value as Product;
    const patched = await call("PATCH", `/v1/products/${created.id}?updateMask=description`, {
      token: adminToken,
      body: JSON.stringify({ description: "still a mug" }),
    });
    assert.equal(patched.status, 200);
  });

  it("answers 400 for numbers that are not decimal, in a body or a query parameter (0x10 is not 16)", async () => {
    // Refused by the runtime's JSON parser as patched (patches/@bufbuild+protobuf+2.13.0.patch), which
    // reads every body, query value and path variable; unpatched, "0x10" set the stock to 16.
    for (const available of ["0x10", "0o7", "0b11"]) {
      const refused = await expectError(
        await call("PUT", "/v1/inventory/p1", { token: adminToken, body: JSON.stringify({ available }) }),
        400,
        "invalid_argument",
      );
      assert.match(refused.message, /^invalid request body: .*SetStockRequest\.available.*decimal/);
      assert.ok(refused.message.includes(`"${available}"`), refused.message);
    }
    const units = await expectError(
      await call("POST", "/v1/products", {
        token: adminToken,
        body: JSON.stringify({ product: { name: "Hex mug", price: { currencyCode: "EUR", units: "0x10" } } }),
      }),
      400,
      "invalid_argument",
    );
    assert.match(units.message, /Money\.units.*"0x10"/);
    const pageSize = await expectError(
      await call("GET", "/v1/products?pageSize=0x1"),
      400,
      "invalid_argument",
    );
    assert.match(pageSize.message, /^invalid query parameters: .*page_size.*"0x1"/);
    // Decimal strings, exponents included, are still numbers.
    for (const [available, stored] of [
      ['"400"', 400],
      ['"1e2"', 100],
    ] as const) {
      const set = await call("PUT", "/v1/inventory/p1", {
        token: adminToken,
        body: `{"available": ${available}}`,
      });
      assert.equal(set.status, 200);
      assert.deepEqual(await set.json(), { stock: { productId: "p1", available: stored, reserved: 0 } });
    }
  });

  it("enforces the access option: 401 without or with a bad token, 403 without the role", async () => {
    const expired = await issuer.sign({ userId: "u", email: "e@x" }, { expiresInSeconds: -60 });
    for (const token of [undefined, "not-a-jwt", expired]) {
      const res = await call("GET", "/v1/cart", token === undefined ? {} : { token });
      await expectError(res, 401, "unauthenticated");
      // HTTP requires a 401 to name the scheme to authenticate with (RFC 9110 §15.5.2).
      assert.equal(res.headers.get("www-authenticate"), "Bearer", String(token));
    }
    lastHeaders = undefined;
    await expectError(
      await call("POST", "/v1/products", {
        token: userToken,
        body: JSON.stringify({ product: { name: "x" } }),
      }),
      403,
      "permission_denied",
    );
    assert.equal(lastHeaders, undefined, "no upstream call on a forbidden request");
  });

  it("answers 504 when the upstream misses the deadline", async () => {
    await expectError(await call("GET", "/v1/products/slow"), 504, "deadline_exceeded");
  });

  it("answers CORS preflights for allowed origins only; every answer varies by Origin", async () => {
    const allowed = await call("OPTIONS", "/v1/products", {
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://shop.example");
    // The methods the contracts route, as the refused CONNECT's Allow lists them.
    assert.equal(
      allowed.headers.get("access-control-allow-methods"),
      "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
    );
    const denied = await call("OPTIONS", "/v1/products", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(denied.headers.get("access-control-allow-origin"), null);
    // The allowed origin's answer differs, so every answer says it varies by Origin: else a cache
    // could hand an allowed page the copy fetched with no Origin (or a refused one), lacking the header.
    const created = products.values().next().value as Product;
    for (const origin of [undefined, "https://evil.example", "https://shop.example"]) {
      const res = await call("GET", `/v1/products/${created.id}`, origin ? { headers: { origin } } : {});
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("vary"), "Origin", String(origin));
      await res.body?.cancel();
    }
  });

  it("serves health, metrics per route, the OpenAPI document and the docs page", async () => {
    assert.equal((await call("GET", "/healthz")).status, 200);
    const metrics = await (await call("GET", "/metrics")).text();
    assert.match(metrics, /http_server_requests_total\{[^}]*route="\/v1\/products\/\{id\}"[^}]*status="404"/);
    const spec = (await (await call("GET", "/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    assert.equal(spec.openapi, "3.1.0");
    assert.ok("/v1/orders/{id}:cancel" in spec.paths);
    const docs = await call("GET", "/docs");
    assert.match(docs.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await docs.text(), /openapi\.json/);
  });

  it("reports readiness from every upstream's health service", async () => {
    const res = await call("GET", "/readyz");
    assert.equal(res.status, 200);
    const body = (await res.json()) as { ready: boolean; upstreams: Record<string, string> };
    assert.equal(body.upstreams.product, "SERVING");
  });
});

describe("edge limits and failures", () => {
  let upstreams: GrpcServer;
  let redisPrefix: TestRedisPrefix;
  const edges: Edge[] = [];

  before(async () => {
    upstreams = await startUpstreams();
    redisPrefix = createTestRedisPrefix({ prefix: "edge-limit" });
  });
  after(async () => {
    for (const edge of edges) await edge.shutdown();
    await upstreams.shutdown();
    await redisPrefix.cleanup();
  });

  async function start(overrides: Record<string, string>, upstream = `http://127.0.0.1:${upstreams.port}`) {
    const edge = await startEdge(
      edgeConfig(upstream, { RATE_LIMIT_KEY_PREFIX: redisPrefix.prefix, ...overrides }),
      {
        logger,
        verifier: (await createTestTokenIssuer()).verifier,
      },
    );
    edges.push(edge);
    return `http://127.0.0.1:${edge.port}`;
  }

  it("answers 429 with Retry-After once a client's bucket is empty, shared by two replicas", async () => {
    const settings = { RATE_LIMIT_CAPACITY: "3", RATE_LIMIT_REFILL_PER_SECOND: "0.01" };
    const [a, b] = [await start(settings), await start(settings)];
    const statuses: number[] = [];
    for (const target of [a, b, a, b, a]) statuses.push((await fetch(`${target}/v1/inventory/p1`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const limited = await fetch(`${a}/v1/inventory/p1`);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal(((await limited.json()) as { code: string }).code, "resource_exhausted");
    assert.equal((await fetch(`${a}/v1/products`)).status, 200, "another route has its own bucket");
  });

  it("limits refused callers too: a burst of bad or missing tokens ends in 429, not endless 401s", async () => {
    const target = await start({
      RATE_LIMIT_KEY_PREFIX: `${redisPrefix.prefix}refused:`,
      RATE_LIMIT_CAPACITY: "3",
      RATE_LIMIT_REFILL_PER_SECOND: "0.01",
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const headers = { authorization: `Bearer guessed-token-${i}` };
      statuses.push((await fetch(`${target}/v1/cart`, { headers })).status);
    }
    statuses.push((await fetch(`${target}/v1/cart`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    const limited = await fetch(`${target}/v1/cart`, { headers: { authorization: "Bearer guessed-again" } });
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) >= 1);
    assert.equal(((await limited.json()) as { code: string }).code, "resource_exhausted");
  });

  it("behind a trusted proxy, limits by the address the proxy appended, not one the client wrote", async () => {
    const target = await start({
      TRUST_PROXY: "true",
      RATE_LIMIT_CAPACITY: "2",
      RATE_LIMIT_REFILL_PER_SECOND: "0.01",
    });
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) {
      // The client invents a new address each time; the proxy appends the one it saw (10.9.9.9).
      const headers = { "x-forwarded-for": `198.51.100.${i}, 10.9.9.9` };
      statuses.push((await fetch(`${target}/v1/inventory/p1`, { headers })).status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    const neighbour = await fetch(`${target}/v1/inventory/p1`, {
      headers: { "x-forwarded-for": "10.9.9.8" },
    });
    assert.equal(neighbour.status, 200, "another client behind the proxy has its own bucket");
  });

  it("behind two trusted proxies (TRUST_PROXY=2), limits by the address the outer one saw", async () => {
    const target = await start({
      TRUST_PROXY: "2",
      RATE_LIMIT_CAPACITY: "2",
      RATE_LIMIT_REFILL_PER_SECOND: "0.01",
      // Own buckets: the socket address (127.0.0.1) already spent its tokens in the tests above.
      RATE_LIMIT_KEY_PREFIX: `${redisPrefix.prefix}two-proxies:`,
    });
    const status = async (forwardedFor: string) =>
      (await fetch(`${target}/v1/inventory/p1`, { headers: { "x-forwarded-for": forwardedFor } })).status;
    // The client forges a new first entry each time; the CDN appends the client (203.0.113.7), the
    // load balancer appends the CDN (10.0.0.1), the same for every client.
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) statuses.push(await status(`198.51.100.${i}, 203.0.113.7, 10.0.0.1`));
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(await status("203.0.113.8, 10.0.0.1"), 200, "another client behind the same CDN node");

    // Repeated headers are one list in order (sent raw: fetch would merge them itself).
    const repeated = [
      "GET /v1/inventory/p1 HTTP/1.1",
      "Host: edge",
      "Connection: close",
      "X-Forwarded-For: 203.0.113.9",
      "X-Forwarded-For: 10.0.0.1",
      "",
      "",
    ].join("\r\n");
    const port = Number(new URL(target).port);
    assert.equal((await rawRequest(port, repeated)).status, 200);
    assert.equal((await rawRequest(port, repeated)).status, 200);
    assert.equal(await status("203.0.113.9, 10.0.0.1"), 429, "the same client, sent as one header");

    // Too few entries (it did not come through both proxies): the socket's address, never the lone entry.
    const direct: number[] = [];
    for (let i = 1; i <= 3; i++) direct.push(await status(`198.51.100.${i + 10}`));
    assert.deepEqual(direct, [200, 200, 429]);
  });

  it("fails open when Redis is unreachable", async () => {
    const target = await start({
      RATE_LIMIT_CAPACITY: "1",
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${target}/v1/inventory/p1`)).status, 200);
  });

  it("answers 503 when the upstream is down, and /readyz lists it", async () => {
    const target = await start({}, `http://127.0.0.1:${await freePort()}`);
    const res = await fetch(`${target}/v1/products/p1`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, "unavailable");
    assert.doesNotMatch(body.message, /127\.0\.0\.1/, "no internal addresses leak");
    const ready = await fetch(`${target}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(
      ((await ready.json()) as { upstreams: Record<string, string> }).upstreams.product ?? "",
      /unreachable/,
    );
  });
});

describe("edge with the default verifier (keys from UserService.GetPublicKeys)", () => {
  it("accepts tokens signed by a published key and rejects others", async () => {
    const issuer = await createTestTokenIssuer({ issuer: "shop-user", audience: "shop" });
    const redisPrefix = createTestRedisPrefix({ prefix: "edge-keys" });
    const server = await startGrpcServer({
      port: 0,
      host: "127.0.0.1",
      logger,
      drainDelayMs: 0,
      services: [
        serviceImpl(UserService, {
          async getPublicKeys() {
            const keys = await issuer.fetchKeys();
            return {
              keys: keys.map((k) =>
                create(JsonWebKeySchema, {
                  kid: k.kid,
                  kty: k.kty,
                  alg: k.alg,
                  use: k.use,
                  crv: k.crv,
                  x: k.x,
                  y: k.y,
                }),
              ),
            };
          },
        }),
        serviceImpl(CartService, {
          async getCart() {
            return { cart: create(CartSchema, { userId: "u1" }) };
          },
        }),
      ],
    });
    const edge = await startEdge(
      edgeConfig(`http://127.0.0.1:${server.port}`, { RATE_LIMIT_KEY_PREFIX: redisPrefix.prefix }),
      { logger },
    );
    try {
      const url = `http://127.0.0.1:${edge.port}/v1/cart`;
      const good = await issuer.sign({ userId: "u1", email: "u@shop.test" });
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${good}` } })).status, 200);
      const stranger = await (await createTestTokenIssuer({ issuer: "shop-user", audience: "shop" })).sign({
        userId: "u2",
        email: "x@shop.test",
      });
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${stranger}` } })).status, 401);
      const wrongAudience = await issuer.sign({ userId: "u1", email: "u@shop.test" }, { audience: "other" });
      assert.equal((await fetch(url, { headers: { authorization: `Bearer ${wrongAudience}` } })).status, 401);
    } finally {
      await edge.shutdown();
      await server.shutdown();
      await redisPrefix.cleanup();
    }
  });
});
