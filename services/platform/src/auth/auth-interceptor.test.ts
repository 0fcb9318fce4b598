import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { CartService } from "@shop/gen/shop/cart/v1/cart_pb";
import { InventoryService } from "@shop/gen/shop/inventory/v1/inventory_pb";
import { createLogger } from "../log.js";
import { type GrpcServer, serviceImpl, startGrpcServer } from "../server/server.js";
import { createAuthInterceptor } from "./auth-interceptor.js";
import { optionalIdentity, requireIdentity } from "./identity.js";
import { createTestTokenIssuer, type TestTokenIssuer } from "./testing.js";

let issuer: TestTokenIssuer;
let server: GrpcServer;
let inventory: Client<typeof InventoryService>;
let cart: Client<typeof CartService>;
let userToken: string;
let adminToken: string;

before(async () => {
  issuer = await createTestTokenIssuer();
  userToken = await issuer.sign({ userId: "user-1", email: "ann@example.com" });
  adminToken = await issuer.sign({ userId: "admin-1", email: "boss@example.com", roles: ["admin"] });
  server = await startGrpcServer({
    port: 0,
    logger: createLogger({ service: "auth-test", level: "silent" }),
    drainDelayMs: 0,
    interceptors: [createAuthInterceptor({ verifier: issuer.verifier })],
    services: [
      serviceImpl(InventoryService, {
        // Public: echoes who called, if anyone, in the product id.
        getStock: (_req, context) => ({
          stock: { productId: optionalIdentity(context)?.userId ?? "anonymous", available: 1 },
        }),
        setStock: (req) => ({ stock: { productId: req.productId, available: req.available } }),
        reserveStock: () => ({}),
      }),
      serviceImpl(CartService, {
        getCart: (_req, context) => ({ cart: { userId: requireIdentity(context).userId } }),
      }),
    ],
  });
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
  inventory = createClient(InventoryService, transport);
  cart = createClient(CartService, transport);
});

after(() => server.shutdown());

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

async function rejectsWith(promise: Promise<unknown>, code: Code, pattern?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.rawMessage, pattern);
    return true;
  });
}

describe("createAuthInterceptor over gRPC", () => {
  it("lets anonymous callers use public methods and identifies callers that send a token", async () => {
    assert.equal((await inventory.getStock({ productId: "p" })).stock?.productId, "anonymous");
    assert.equal(
      (await inventory.getStock({ productId: "p" }, bearer(userToken))).stock?.productId,
      "user-1",
    );
  });

  it("refuses an invalid token even on a public method", async () => {
    const expired = await issuer.sign({ userId: "u", email: "a@b.c" }, { expiresInSeconds: -60 });
    await rejectsWith(
      inventory.getStock({ productId: "p" }, bearer(expired)),
      Code.Unauthenticated,
      /expired/,
    );
    await rejectsWith(
      inventory.getStock({ productId: "p" }, { headers: { authorization: "Basic dXNlcjpwdw==" } }),
      Code.Unauthenticated,
      /Bearer/,
    );
  });

  it("requires a token on methods without an access option", async () => {
    await rejectsWith(cart.getCart({}), Code.Unauthenticated, /bearer token/);
    assert.equal((await cart.getCart({}, bearer(userToken))).cart?.userId, "user-1");
  });

  it("requires every listed role", async () => {
    await rejectsWith(inventory.setStock({ productId: "p", available: 3 }), Code.Unauthenticated);
    await rejectsWith(
      inventory.setStock({ productId: "p", available: 3 }, bearer(userToken)),
      Code.PermissionDenied,
      /admin/,
    );
    const response = await inventory.setStock({ productId: "p", available: 3 }, bearer(adminToken));
    assert.equal(response.stock?.available, 3);
  });

  it("accepts internal methods without a user token", async () => {
    await inventory.reserveStock({ reservationId: "r1" });
  });

  it("applies the same rules on the Connect protocol", async () => {
    const { createConnectTransport } = await import("@connectrpc/connect-node");
    const connect = createClient(
      InventoryService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${server.port}`, httpVersion: "1.1" }),
    );
    await rejectsWith(
      connect.setStock({ productId: "p", available: 1 }, bearer(userToken)),
      Code.PermissionDenied,
    );
  });
});
