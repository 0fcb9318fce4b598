import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { connectJetStream, type JetStreamConnection } from "@shop/platform/events/connection";
import { createEvent, decodeEvent, encodeEvent } from "@shop/platform/events/event-codec";
import { namespacedStream, namespacedSubject } from "@shop/platform/events/namespace";
import { deleteStreams, domainStream, ensureStreams } from "@shop/platform/events/streams";
import { createLogger } from "@shop/platform/log";
import { uniqueName } from "@shop/platform/testing";
import { Binary, type Collection, type Db, MongoClient } from "mongodb";
import type { JetStreamClient } from "nats";
import {
  type MongoOutboxDocument,
  mongoOutboxCollection,
  startMongoOutboxRelay,
} from "./mongo-outbox-relay.js";

// Tests may read the environment directly: they are not service code. MongoDB does not run on the
// development machines, so this suite runs only where MONGO_URL points at a MongoDB server (a replica
// set exercises the change-stream wake-up; a standalone server the sweep).
const mongoUrl = process.env.MONGO_URL;
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const skip = mongoUrl ? false : "MONGO_URL not set: no MongoDB server on this machine";

const logger = createLogger({ service: "order", level: "silent" });

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(50);
  }
}

/** An OrderPlaced event as the MongoDB order store writes it into the outbox. */
function outboxDocument(orderId: string): MongoOutboxDocument {
  const encoded = encodeEvent(createEvent(OrderPlacedSchema, { orderId, userId: "u1" }));
  return {
    _id: encoded.eventId,
    subject: encoded.subject,
    payload: new Binary(encoded.payload),
    headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    createdAt: new Date(),
    publishedAt: null,
  };
}

/** A JetStream client that counts the publishes of each message id (JetStream itself hides duplicates). */
function countingClient(js: JetStreamClient, counts: Map<string, number>): JetStreamClient {
  return new Proxy(js, {
    get(target, property, receiver) {
      if (property !== "publish") return Reflect.get(target, property, receiver);
      const publish: JetStreamClient["publish"] = (subject, payload, options) => {
        const id = options?.msgID ?? "";
        counts.set(id, (counts.get(id) ?? 0) + 1);
        return target.publish(subject, payload, options);
      };
      return publish;
    },
  });
}

describe("MongoDB outbox relay", { skip }, () => {
  let client: MongoClient;
  let db: Db;
  let outbox: Collection<MongoOutboxDocument>;
  let nats: JetStreamConnection;
  const namespace = uniqueName("mrelay");
  const databaseName = `order_relay_${randomUUID().replaceAll("-", "")}`;

  before(async () => {
    client = new MongoClient(mongoUrl ?? "");
    await client.connect();
    db = client.db(databaseName);
    outbox = db.collection<MongoOutboxDocument>(mongoOutboxCollection);
    nats = await connectJetStream({ url: natsUrl, name: namespace });
    await ensureStreams(nats.jsm, [domainStream("order")], { namespace });
  });
  after(async () => {
    await deleteStreams(nats.jsm, [domainStream("order")], { namespace }).catch(() => undefined);
    await nats?.close();
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
  });

  async function streamMessages(): Promise<number> {
    return (await nats.jsm.streams.info(namespacedStream(namespace, "SHOP_ORDER"))).state.messages;
  }

  test("publishes each pending document under its event id and namespaced subject, then marks it", async () => {
    const docs = [outboxDocument(randomUUID()), outboxDocument(randomUUID())];
    const before = await streamMessages();
    await outbox.insertMany(docs);
    const relay = startMongoOutboxRelay({ db, js: nats.js, logger, namespace, sweepIntervalMs: 200 });
    try {
      await waitFor(
        "both documents marked published",
        async () =>
          (await outbox.countDocuments({
            _id: { $in: docs.map((d) => d._id) },
            publishedAt: { $ne: null },
          })) === 2,
      );
      assert.equal(await streamMessages(), before + 2);
      const stream = namespacedStream(namespace, "SHOP_ORDER");
      const last = await nats.jsm.streams.getMessage(stream, {
        last_by_subj: namespacedSubject(namespace, OrderPlacedSchema.typeName),
      });
      assert.equal(last.header.get("Nats-Msg-Id"), docs[1]?._id);
      assert.equal(last.header.get("traceparent"), docs[1]?.headers.traceparent);
      const { event } = decodeEvent(OrderPlacedSchema.typeName, last.data);
      assert.equal(event.eventId, docs[1]?._id);
      const marked = await outbox.findOne({ _id: docs[0]?._id ?? "" });
      assert.equal(marked?.claimedBy, undefined, "the claim is released once published");
    } finally {
      await relay.stop();
    }
  });

  test("several relays publish every document exactly once", async () => {
    const docs = Array.from({ length: 60 }, () => outboxDocument(randomUUID()));
    await outbox.insertMany(docs);
    const counts = new Map<string, number>();
    const relays = Array.from({ length: 3 }, () =>
      startMongoOutboxRelay({
        db,
        js: countingClient(nats.js, counts),
        logger,
        namespace,
        sweepIntervalMs: 100,
        batchSize: 7,
      }),
    );
    try {
      await waitFor(
        "every document published",
        async () =>
          (await outbox.countDocuments({ _id: { $in: docs.map((d) => d._id) }, publishedAt: null })) === 0,
      );
      for (const doc of docs) assert.equal(counts.get(doc._id), 1, `document ${doc._id} published once`);
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }
  });

  test("a live claim is left alone; an expired one is taken over", async () => {
    const held = {
      ...outboxDocument(randomUUID()),
      claimedBy: "other",
      claimExpiresAt: new Date(Date.now() + 60_000),
    };
    const abandoned = {
      ...outboxDocument(randomUUID()),
      claimedBy: "dead",
      claimExpiresAt: new Date(Date.now() - 1_000),
    };
    await outbox.insertMany([held, abandoned]);
    const relay = startMongoOutboxRelay({ db, js: nats.js, logger, namespace, sweepIntervalMs: 100 });
    try {
      await waitFor("the abandoned document published", async () =>
        (await outbox.findOne({ _id: abandoned._id }))?.publishedAt ? true : undefined,
      );
      relay.wake();
      await delay(300);
      const stillHeld = await outbox.findOne({ _id: held._id });
      assert.equal(stillHeld?.publishedAt, null);
      assert.equal(stillHeld?.claimedBy, "other");
    } finally {
      await relay.stop();
      await outbox.deleteOne({ _id: held._id });
    }
  });
});
