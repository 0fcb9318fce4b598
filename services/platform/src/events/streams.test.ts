import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { nanos } from "nats";
import { uniqueName } from "../testing/names.js";
import { connectJetStream, type JetStreamConnection } from "./connection.js";
import { assertNamespace, namespacedStream } from "./namespace.js";
import { deleteStreams, domainStream, ensureStreams, shopStreams } from "./streams.js";
import { natsUrl } from "./test-fixture.js";

describe("ensureStreams", () => {
  let nats: JetStreamConnection;
  const namespace = uniqueName("st");

  before(async () => {
    nats = await connectJetStream({ url: natsUrl(), name: namespace });
  });
  after(async () => {
    await deleteStreams(nats.jsm, shopStreams, { namespace });
    await nats.close();
  });

  test("creates every stream, namespaced, and is safe to run concurrently and again", async () => {
    await Promise.all([1, 2, 3].map(() => ensureStreams(nats.jsm, shopStreams, { namespace })));
    await ensureStreams(nats.jsm, shopStreams, { namespace });
    for (const declaration of shopStreams) {
      const info = await nats.jsm.streams.info(namespacedStream(namespace, declaration.name));
      assert.deepEqual(
        info.config.subjects,
        declaration.subjects.map((s) => `${namespace}.${s}`),
      );
      assert.equal(info.config.duplicate_window, nanos(declaration.duplicateWindowMs));
      assert.equal(info.config.storage, "file");
    }
  });

  test("updates a stream whose limits changed in code", async () => {
    const order = domainStream("order");
    await ensureStreams(nats.jsm, [{ ...order, maxAgeMs: 3 * 86_400_000 }], { namespace });
    const info = await nats.jsm.streams.info(namespacedStream(namespace, order.name));
    assert.equal(info.config.max_age, nanos(3 * 86_400_000));
  });

  test("rejects a namespace that would widen subjects", () => {
    assert.throws(() => assertNamespace("a.b"), /invalid events namespace/);
    assert.throws(() => assertNamespace(">"), /invalid events namespace/);
    assert.doesNotThrow(() => assertNamespace("t_1-x"));
  });
});
