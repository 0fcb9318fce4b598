import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "nats";
import { createTestStreamName, uniqueName } from "./names.js";

describe("uniqueName", () => {
  it("is unique, keeps a readable prefix and uses only safe characters", () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName("Order Service")));
    assert.equal(names.size, 1000);
    for (const name of names) assert.match(name, /^order_service_[a-z0-9_]+$/);
    assert.ok(
      [...names].every((name) => name.length <= 63),
      "fits a Postgres identifier",
    );
  });
});

describe("createTestStreamName", () => {
  it("names a JetStream stream that really can be created and removed", async () => {
    const name = createTestStreamName("orders");
    assert.match(name, /^ORDERS_[a-z0-9_]+$/);
    const nc = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name, subjects: [`${name}.>`] });
      const info = await jsm.streams.info(name);
      assert.equal(info.config.name, name);
      assert.equal(await jsm.streams.delete(name), true);
    } finally {
      await nc.close();
    }
  });
});
