import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import { OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { Registry } from "prom-client";
import { startConsumer } from "./consumer.js";
import { createEvent } from "./event-codec.js";
import { namespacedStream, namespacedSubject } from "./namespace.js";
import { deadLetterStream, domainStream } from "./streams.js";
import { createEventsFixture, type EventsFixture, waitFor } from "./test-fixture.js";

const orderStream = domainStream("order");

describe("jetstream_consumer_pending_messages", () => {
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
});
