import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createMetrics } from "../metrics.js";
import { createEvent } from "./event-codec.js";
import { namespacedStream, namespacedSubject } from "./namespace.js";
import { writeOutbox } from "./outbox.js";
import { startServiceEvents } from "./service-events.js";
import { domainStream } from "./streams.js";
import { createEventsFixture, type EventsFixture, natsUrl, waitFor } from "./test-fixture.js";

const orderStream = domainStream("order");

describe("startServiceEvents", () => {
  let fx: EventsFixture;

  before(async () => {
    fx = await createEventsFixture([orderStream]);
  });
  after(() => fx.close());

  test("exports the relay's lag and backlog on the service's registry, as /metrics serves it", async () => {
    const metrics = createMetrics({ service: "order", processMetrics: false });
    const events = await startServiceEvents({
      natsUrl: natsUrl(),
      domain: "order",
      sql: fx.sql,
      logger: fx.logger,
      namespace: fx.namespace,
      registry: metrics.registry,
    });
    try {
      const event = createEvent(OrderPlacedSchema, { orderId: "metrics", userId: "u1" });
      await fx.db.transaction((tx) => writeOutbox(tx, event));
      await waitFor("the event on JetStream", async () => {
        const stored = await fx.nats.jsm.streams
          .getMessage(namespacedStream(fx.namespace, orderStream.name), {
            last_by_subj: namespacedSubject(fx.namespace, OrderPlacedSchema.typeName),
          })
          .catch(() => undefined);
        return stored?.header?.get("Nats-Msg-Id") === event.eventId;
      });
      const text = await waitFor("the publish recorded on the registry", async () => {
        const rendered = await metrics.render();
        return /^outbox_published_total\{service="order"\} 1$/m.test(rendered) && rendered;
      });
      assert.match(text, /^outbox_relay_lag_seconds_count\{service="order"\} 1$/m);
      assert.match(text, /^outbox_relay_lag_seconds_bucket\{le="\+Inf",service="order"\} 1$/m);
      assert.match(text, /^outbox_pending_events\{service="order"\} 0$/m);
      assert.match(text, /^outbox_relay_failures_total\{service="order"\} 0$/m);
    } finally {
      await events.stop();
    }
  });
});
