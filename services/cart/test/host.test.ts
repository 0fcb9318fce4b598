import assert from "node:assert/strict";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { after, before, describe, test } from "node:test";
import { createTestTokenIssuer } from "@shop/platform/auth/testing";
import { createTestRedisPrefix, type TestRedisPrefix } from "@shop/platform/testing";
import { parseCartConfig } from "../src/config.js";
import { type RunningCartService, startCartService } from "../src/service.js";

/** This machine's first non-loopback IPv4 address, if it has one. */
function externalAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address;
    }
  }
  return undefined;
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

const external = externalAddress();

describe("HOST binds a service's listeners to one address", {
  skip: external ? false : "this machine has no non-loopback IPv4 address to try the bind against",
}, () => {
  let redisPrefix: TestRedisPrefix;
  let cart: RunningCartService;

  before(async () => {
    redisPrefix = createTestRedisPrefix({ prefix: "cart-host" });
    const config = parseCartConfig({
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_KEY_PREFIX: redisPrefix.prefix,
      PRODUCT_URL: "http://127.0.0.1:1",
      LOG_LEVEL: "silent",
      HOST: "127.0.0.1",
    });
    const issuer = await createTestTokenIssuer();
    cart = await startCartService({ ...config, PORT: 0 }, { verifier: issuer.verifier });
  });
  after(async () => {
    await cart?.shutdown();
    await redisPrefix?.cleanup();
  });

  test("HOST=127.0.0.1: the gRPC port answers on loopback only", async () => {
    assert.equal(await accepts("127.0.0.1", cart.port), true);
    assert.equal(await accepts(external as string, cart.port), false);
  });
});
