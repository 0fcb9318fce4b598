import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { type EventConsumer, startConsumer } from "../events/consumer.js";
import { createEvent } from "../events/event-codec.js";
import { writeOutbox } from "../events/outbox.js";
import { type OutboxRelay, startOutboxRelay } from "../events/outbox-relay.js";
import { deadLetterStream, domainStream } from "../events/streams.js";
import { createEventsFixture, type EventsFixture, waitFor } from "../events/test-fixture.js";
import { type ActiveTrace, activeTrace } from "./active-trace.js";
import { createTestTracing, isChildOf, onlySpan, type TestTracing } from "./testing.js";

const orderStream = domainStream("order");
const subject = OrderConfirmedSchema.typeName;

describe("event tracing through the outbox, the relay and a durable consumer (real Postgres and JetStream)", () => {
  let tt: TestTracing;
  let fx: EventsFixture;
  let relay: OutboxRelay;
  let consumer: EventConsumer;
  /** What each delivery's handler saw as active, by order id. */
  const seen = new Map<string, ActiveTrace | undefined>();

  before(async () => {
    tt = createTestTracing();
    fx = await createEventsFixture([orderStream, deadLetterStream]);
    relay = await startOutboxRelay({
      sql: fx.sql,
      js: fx.nats.js,
      logger: fx.logger,
      namespace: fx.namespace,
    });
    consumer = await startConsumer({
      js: fx.nats.js,
      jsm: fx.nats.jsm,
      stream: orderStream.name,
      durable: "traced-consumer",
      filterSubjects: [subject],
      namespace: fx.namespace,
      logger: fx.logger,
      db: fx.db,
      backoff: { initialMs: 20, maxMs: 20 },
      maxDeliver: 2,
      async handle(event) {
        const orderId = event.$typeName === subject ? (event as unknown as { orderId: string }).orderId : "";
        seen.set(`${orderId}#${seen.size}`, activeTrace());
        if (orderId.startsWith("fail")) throw new Error("handler failed");
      },
    });
  });
  after(async () => {
    await consumer.stop();
    await relay.stop();
    await fx.close();
    await tt.shutdown();
  });

  /** Writes the event in a transaction while a request span is active, as a handler would. */
  async function writeInRequest(orderId: string) {
    const event = createEvent(OrderConfirmedSchema, { orderId, userId: "u1" });
    const requestSpan = await trace.getTracer("test").startActiveSpan("request", async (span) => {
      await fx.db.transaction((tx) => writeOutbox(tx, event));
      span.end();
      return span;
    });
    const [row] = await fx.sql<{ headers: Record<string, string> }[]>`
      select headers from outbox where id = ${event.eventId}`;
    const ended = tt.spans().find((s) => s.spanContext().spanId === requestSpan.spanContext().spanId);
    return { traceparent: row?.headers.traceparent, requestSpan: ended };
  }

  it("stores the active context with the row; PRODUCER and CONSUMER spans continue it; the handler runs in the CONSUMER span", async () => {
    const { traceparent, requestSpan } = await writeInRequest("o-1");
    assert.ok(requestSpan, "the row names the span that was active when it was written");
    assert.equal(
      traceparent,
      `00-${requestSpan.spanContext().traceId}-${requestSpan.spanContext().spanId}-01`,
    );
    const traceId = requestSpan.spanContext().traceId;

    const consume = await waitFor("the consumer span", () =>
      tt.traceSpans(traceId).find((s) => s.kind === SpanKind.CONSUMER),
    );
    const spans = tt.traceSpans(traceId);
    const publish = onlySpan(spans, SpanKind.PRODUCER, `publish ${subject}`);
    assert.ok(isChildOf(publish, requestSpan));
    assert.ok(isChildOf(consume, publish));
    assert.equal(consume.name, `process ${subject}`);
    assert.equal(consume.attributes["messaging.consumer.group.name"], "traced-consumer");
    assert.equal(publish.attributes["messaging.destination.name"], subject);
    const handled = [...seen.entries()].find(([key]) => key.startsWith("o-1#"))?.[1];
    assert.equal(
      handled?.spanId,
      consume.spanContext().spanId,
      "the handler's active span is the delivery's",
    );
  });

  it("marks a failed delivery's span as an error, and each redelivery is its own span in the trace", async () => {
    const { requestSpan } = await writeInRequest("fail-1");
    assert.ok(requestSpan);
    const traceId = requestSpan.spanContext().traceId;
    // maxDeliver is 2: the second failure parks the message in the dead-letter stream, so exactly
    // two deliveries happen.
    const deliveries = await waitFor("two deliveries", () => {
      const found = tt.traceSpans(traceId).filter((s) => s.kind === SpanKind.CONSUMER);
      return found.length >= 2 ? found : undefined;
    });
    const publish = onlySpan(tt.traceSpans(traceId), SpanKind.PRODUCER, `publish ${subject}`);
    for (const delivery of deliveries) {
      assert.ok(isChildOf(delivery, publish));
      assert.equal(delivery.status.code, SpanStatusCode.ERROR);
    }
    assert.deepEqual(deliveries.map((d) => d.attributes["messaging.nats.delivery_count"]).sort(), [1, 2]);
  });
});
