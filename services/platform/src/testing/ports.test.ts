import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { describe, it } from "node:test";
import { canBind, ephemeralPortFloor, freePort, freePortOffset } from "./ports.js";

function listen(port: number, host: string): Promise<Server> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

describe("freePort", () => {
  it("returns a port that can be listened on", async () => {
    const port = await freePort();
    assert.ok(port >= 20_000 && port < ephemeralPortFloor(), `${port} lies below the ephemeral range`);
    const server = await listen(port, "127.0.0.1");
    await new Promise((resolve) => server.close(resolve));
  });
});

describe("canBind", () => {
  it("says false for a port a listener holds and true once it is released", async () => {
    const server = await listen(0, "0.0.0.0");
    const { port } = server.address() as { port: number };
    assert.equal(await canBind(port), false);
    await new Promise((resolve) => server.close(resolve));
    assert.equal(await canBind(port), true);
  });
});

describe("freePortOffset", () => {
  it("shifts every port to a bindable one below the ephemeral range", async () => {
    const base = [8001, 8002, 8080];
    const offset = await freePortOffset(base);
    for (const port of base) {
      assert.ok(port + offset < ephemeralPortFloor(), `${port + offset} is below the ephemeral range`);
      assert.equal(await canBind(port + offset), true);
    }
  });

  it("refuses ports that leave no room below the ephemeral range", async () => {
    await assert.rejects(freePortOffset([ephemeralPortFloor() - 1]), /no room below the ephemeral/);
  });
});
