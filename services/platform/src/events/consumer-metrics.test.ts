import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
} from "@shop/gen/shop/order/v1/events_pb";
import { Registry } from "prom-client";
import { startConsumer } from "./consumer.js";
import { createEvent } from "./event-codec.js";
import { namespacedStream, namespacedSubject } from "./namespace.js";
import { deadLetterStream, domainStream } from "./streams.js";
import { createEventsFixture, type EventsFixture, waitFor } from "./test-fixture.js";

const orderStream = domainStream("order");

describe("consumer metrics scraped from JetStream", () => {
  let fx: EventsFixture;

  before(async () => {
    fx = await createEventsFixture([orderStream, deadLetterStream]);
  });
  after(() => fx.close());

  /** The exported value for one consumer, as a scrape computes it; undefined when there is no series. */
  async function scraped(registry: Registry, durable: string): Promise<number | undefined> {
    const metric = registry.getSingleMetric("jetstream_consumer_pending_messages");
    if (!metric) return undefined;
    const { values } = await metric.get();
    const series = values.find(
      (value) =>
        value.labels.consumer === durable &&
        value.labels.stream === namespacedStream(fx.namespace, orderStream.name),
    );
    return series?.value;
  }

  async function serverPending(durable: string): Promise<number> {
    const info = await fx.nats.jsm.consumers.info(namespacedStream(fx.namespace, orderStream.name), durable);
    return info.num_pending;
  }

  test("follows the consumer's backlog as it builds up and drains, and disappears when it stops", async () => {
    const registry = new Registry();
    const durable = "pending-metric";
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let handled = 0;
    const consumer = await startConsumer({
      js: fx.nats.js,
      jsm: fx.nats.jsm,
      stream: orderStream.name,
      durable,
      filterSubjects: [OrderConfirmedSchema.typeName],
      batch: 1,
      logger: fx.logger,
      namespace: fx.namespace,
      metricsRegistry: registry,
      async handle() {
        await gate;
        handled++;
      },
    });
    try {
      assert.equal(await scraped(registry, durable), 0, "an idle consumer reports an empty backlog");
      const total = 6;
      for (let i = 0; i < total; i++) {
        const event = createEvent(OrderConfirmedSchema, { orderId: `o-${i}`, userId: "u1" });
        await fx.nats.js.publish(
          namespacedSubject(fx.namespace, OrderConfirmedSchema.typeName),
          toBinary(OrderConfirmedSchema, event),
          { msgID: event.eventId },
        );
      }
      // The handler holds the first message: the rest wait on the server, and the gauge says how many.
      const backlog = await waitFor("a stable backlog on the gauge", async () => {
        const value = await scraped(registry, durable);
        return value !== undefined && value > 0 && value === (await serverPending(durable))
          ? value
          : undefined;
      });
      assert.ok(backlog < total, "the message in hand is no longer pending");

      open();
      await waitFor("all events handled", () => handled === total);
      assert.equal(await scraped(registry, durable), 0);
    } finally {
      open();
      await consumer.stop();
    }
    assert.equal(await scraped(registry, durable), undefined, "a stopped consumer has no series");
    assert.doesNotMatch(await registry.metrics(), new RegExp(`consumer="${durable}"`));
  });

  test("jetstream_stream_messages reports the dead-letter stream's depth, one series per stream", async () => {
    const registry = new Registry();
    const dlq = namespacedStream(fx.namespace, deadLetterStream.name);
    const dlqDepth = async () => {
      const metric = registry.getSingleMetric("jetstream_stream_messages");
      const values = metric ? (await metric.get()).values : [];
      const series = values.filter((value) => value.labels.stream === dlq);
      assert.ok(series.length <= 1, "consumers sharing a dead-letter stream share its series");
      return series[0]?.value;
    };
    const start = (durable: string, subject: string) =>
      startConsumer({
        js: fx.nats.js,
        jsm: fx.nats.jsm,
        stream: orderStream.name,
        durable,
        filterSubjects: [subject],
        maxDeliver: 1,
        logger: fx.logger,
        namespace: fx.namespace,
        metricsRegistry: registry,
        async handle() {},
      });
    const poisoned = await start("dlq-metric-cancelled", OrderCancelledSchema.typeName);
    const other = await start("dlq-metric-placed", OrderPlacedSchema.typeName);
    try {
      assert.equal(await dlqDepth(), 0, "an empty dead-letter stream reads 0, not no data");
      // Bytes that never decode are parked at once.
      await fx.nats.js.publish(
        namespacedSubject(fx.namespace, OrderCancelledSchema.typeName),
        new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]),
      );
      await waitFor("the parked message on the gauge", async () => (await dlqDepth()) === 1);
      assert.match(await registry.metrics(), new RegExp(`jetstream_stream_messages\\{stream="${dlq}"\\} 1`));
      await poisoned.stop();
      assert.equal(await dlqDepth(), 1, "still reported while another consumer runs");
    } finally {
      await poisoned.stop();
      await other.stop();
    }
    assert.equal(await dlqDepth(), undefined, "no series once no consumer reports it");
  });
});
