import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { Registry } from "prom-client";
import { createEvent, decodeEvent } from "./event-codec.js";
import { namespacedStream } from "./namespace.js";
import { writeOutbox } from "./outbox.js";
import { startOutboxRelay } from "./outbox-relay.js";
import { domainStream } from "./streams.js";
import { createEventsFixture, type EventsFixture, waitFor } from "./test-fixture.js";

const orderStream = domainStream("order");

describe("outbox relay", () => {
  let fx: EventsFixture;
  let streamName: string;

  before(async () => {
    fx = await createEventsFixture([orderStream]);
    streamName = namespacedStream(fx.namespace, orderStream.name);
  });
  after(() => fx.close());

  /** Every message in the stream: Nats-Msg-Id header and decoded event id. */
  async function streamMessages() {
    const info = await fx.nats.jsm.streams.info(streamName);
    const found: { msgId: string | undefined; eventId: string; traceparent: string | undefined }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await fx.nats.jsm.streams.getMessage(streamName, { seq });
      const subject = stored.subject.slice(fx.namespace.length + 1);
      found.push({
        msgId: stored.header?.get("Nats-Msg-Id"),
        eventId: decodeEvent(subject, stored.data).event.eventId,
        traceparent: stored.header?.get("traceparent") || undefined,
      });
    }
    return found;
  }

  function orderPlaced(orderId: string) {
    return createEvent(OrderPlacedSchema, { orderId, userId: "u1" });
  }

  test("publishes committed rows, never a rolled-back one, with Nats-Msg-Id = event id", async () => {
    const relay = await startOutboxRelay({
      sql: fx.sql,
      js: fx.nats.js,
      logger: fx.logger,
      namespace: fx.namespace,
    });
    try {
      const rolledBack = orderPlaced("rolled-back");
      await assert.rejects(
        fx.db.transaction(async (tx) => {
          await writeOutbox(tx, rolledBack);
          throw new Error("business change failed");
        }),
        /business change failed/,
      );
      const committed = orderPlaced("committed");
      const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
      await fx.db.transaction((tx) => writeOutbox(tx, committed, { traceparent }));

      const messages = await waitFor("the committed event on JetStream", async () => {
        const all = await streamMessages();
        return all.some((m) => m.eventId === committed.eventId) && all;
      });
      const published = messages.find((m) => m.eventId === committed.eventId);
      assert.equal(published?.msgId, committed.eventId);
      assert.equal(published?.traceparent, traceparent);
      assert.equal(messages.filter((m) => m.eventId === rolledBack.eventId).length, 0);
      const [row] = await fx.sql`select count(*)::int as n from outbox where id = ${rolledBack.eventId}`;
      assert.equal(row?.n, 0);
    } finally {
      await relay.stop();
    }
  });

  test("two relays publish every committed row exactly once", async () => {
    const before = (await streamMessages()).length;
    const total = 120;
    const ids: string[] = [];
    for (let batch = 0; batch < total / 20; batch++) {
      await fx.db.transaction(async (tx) => {
        for (let i = 0; i < 20; i++) {
          const event = orderPlaced(`o-${batch}-${i}`);
          ids.push(event.eventId);
          await writeOutbox(tx, event);
        }
      });
    }
    // Each relay on its own pool, so their claims really run concurrently.
    const pools = [postgres(fx.database.url, { max: 3 }), postgres(fx.database.url, { max: 3 })];
    const registries = [new Registry(), new Registry()];
    const relays = await Promise.all(
      pools.map((sql, i) =>
        startOutboxRelay({
          sql,
          js: fx.nats.js,
          logger: fx.logger,
          namespace: fx.namespace,
          batchSize: 7,
          registry: registries[i],
        }),
      ),
    );
    try {
      await waitFor("every row marked published", async () => {
        const [row] = await fx.sql`select count(*)::int as n from outbox where published_at is null`;
        return row?.n === 0;
      });
      const publishedCounts = await Promise.all(
        registries.map(async (r) =>
          (await r.getSingleMetricAsString("outbox_published_total")).match(/ (\d+)$/m),
        ),
      );
      const sum = publishedCounts.reduce((acc, m) => acc + Number(m?.[1] ?? Number.NaN), 0);
      assert.equal(sum, total, "each row was published by exactly one relay");
      const messages = (await streamMessages()).slice(before);
      assert.equal(messages.length, total);
      assert.deepEqual(new Set(messages.map((m) => m.eventId)), new Set(ids));
      for (const m of messages) assert.equal(m.msgId, m.eventId);
      const lag = await registries[0]?.getSingleMetricAsString("outbox_relay_lag_seconds");
      assert.match(lag ?? "", /outbox_relay_lag_seconds_count \d+/);
      assert.match(
        await registries[0]!.getSingleMetricAsString("outbox_pending_events"),
        /outbox_pending_events 0/,
      );
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
      await Promise.all(pools.map((sql) => sql.end({ timeout: 5 })));
    }
  });

  test("a commit wakes the relay through NOTIFY, without waiting for the sweep", async () => {
    const relay = await startOutboxRelay({
      sql: fx.sql,
      js: fx.nats.js,
      logger: fx.logger,
      namespace: fx.namespace,
      sweepIntervalMs: 10 * 60_000,
    });
    try {
      // Let the start-up catch-up round finish so only a notification can trigger the next one.
      await waitFor("relay idle", async () => {
        const [row] = await fx.sql`select count(*)::int as n from outbox where published_at is null`;
        return row?.n === 0;
      });
      const event = orderPlaced("notify");
      await fx.db.transaction((tx) => writeOutbox(tx, event));
      await waitFor(
        "the event published after NOTIFY",
        async () => (await streamMessages()).some((m) => m.eventId === event.eventId),
        8_000,
      );
    } finally {
      await relay.stop();
    }
  });

  test("retention 0 deletes published rows; rows written while stopped go out on the next start", async () => {
    const event = orderPlaced("while-stopped");
    await drizzle(fx.sql).transaction((tx) => writeOutbox(tx, event));
    const relay = await startOutboxRelay({
      sql: fx.sql,
      js: fx.nats.js,
      logger: fx.logger,
      namespace: fx.namespace,
      retainPublishedMs: 0,
    });
    try {
      await waitFor("the row deleted once published", async () => {
        const [row] = await fx.sql`select count(*)::int as n from outbox where id = ${event.eventId}`;
        return row?.n === 0;
      });
      assert.ok((await streamMessages()).some((m) => m.eventId === event.eventId));
    } finally {
      await relay.stop();
    }
  });
});
