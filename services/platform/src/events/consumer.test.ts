import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { sql } from "drizzle-orm";
import { headers as natsHeaders } from "nats";
import { type EventConsumer, startConsumer } from "./consumer.js";
import { deadLetterHeader } from "./dead-letter.js";
import { listDeadLetters, redrive, showDeadLetter } from "./dlq.js";
import { createEvent, type ShopEvent } from "./event-codec.js";
import { namespacedStream, namespacedSubject } from "./namespace.js";
import { deadLetterStream, domainStream } from "./streams.js";
import { createEventsFixture, type EventsFixture, waitFor } from "./test-fixture.js";

const orderStream = domainStream("order");

describe("event consumer", () => {
  let fx: EventsFixture;

  before(async () => {
    fx = await createEventsFixture([orderStream, deadLetterStream]);
    await fx.sql`create table handled (event_id uuid not null, order_id text not null)`;
  });
  after(() => fx.close());

  async function publish(event: ShopEvent & { $typeName: string }, msgID: string, traceparent?: string) {
    const h = natsHeaders();
    if (traceparent) h.set("traceparent", traceparent);
    const schema =
      event.$typeName === OrderConfirmedSchema.typeName ? OrderConfirmedSchema : OrderCancelledSchema;
    // biome-ignore lint/suspicious/noExplicitAny: the test publishes either of two order event types
    const payload = toBinary(schema, event as any);
    await fx.nats.js.publish(namespacedSubject(fx.namespace, event.$typeName), payload, {
      msgID,
      headers: h,
    });
  }

  function confirmed(orderId: string) {
    return createEvent(OrderConfirmedSchema, { orderId, userId: "u1" });
  }

  async function handledCount(orderId: string): Promise<number> {
    const [row] = await fx.sql`select count(*)::int as n from handled where order_id = ${orderId}`;
    return row?.n ?? -1;
  }

  async function consumerIdle(durable: string) {
    const info = await fx.nats.jsm.consumers.info(namespacedStream(fx.namespace, orderStream.name), durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  }

  async function start(
    durable: string,
    handle: Parameters<typeof startConsumer>[0]["handle"],
    maxDeliver = 3,
    subject: string = OrderConfirmedSchema.typeName,
  ) {
    return startConsumer({
      js: fx.nats.js,
      jsm: fx.nats.jsm,
      stream: orderStream.name,
      durable,
      filterSubjects: [subject],
      db: fx.db,
      handle,
      maxDeliver,
      backoff: { initialMs: 20, maxMs: 200 },
      logger: fx.logger,
      namespace: fx.namespace,
    });
  }

  test("processes an event once even when it is published twice under different msg ids", async () => {
    const traces: (string | undefined)[] = [];
    const consumer = await start("dedupe", async (event, ctx) => {
      traces.push(ctx.traceparent);
      const e = event as ReturnType<typeof confirmed>;
      await ctx.tx?.execute(sql`insert into handled values (${e.eventId}, ${e.orderId})`);
    });
    try {
      const event = confirmed(`dup-${randomUUID()}`);
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      await publish(event, event.eventId, traceparent);
      await publish(event, `${event.eventId}-again`, traceparent);
      await waitFor("both deliveries acked", () => consumerIdle("dedupe"));
      assert.equal(await handledCount(event.orderId), 1);
      assert.deepEqual(traces, [traceparent]);
      const [row] = await fx.sql`
        select count(*)::int as n from processed_events where consumer = 'dedupe' and event_id = ${event.eventId}`;
      assert.equal(row?.n, 1);
    } finally {
      await consumer.stop();
    }
  });

  test("a failing event is retried, dead-lettered after maxDeliver while others flow, and redrive heals it", async () => {
    const attempts: number[] = [];
    let fixed = false;
    const bad = confirmed(`bad-${randomUUID()}`);
    const good = confirmed(`good-${randomUUID()}`);
    const handle = async (
      event: ShopEvent,
      ctx: Parameters<Parameters<typeof startConsumer>[0]["handle"]>[1],
    ) => {
      const e = event as ReturnType<typeof confirmed>;
      if (e.eventId === bad.eventId) {
        attempts.push(ctx.attempt);
        if (!fixed) throw new Error("payment service said no\nsecond line");
      }
      await ctx.tx?.execute(sql`insert into handled values (${e.eventId}, ${e.orderId})`);
    };
    const consumer = await start("retry", handle, 3);
    let deadSeq: number;
    try {
      await publish(bad, bad.eventId, "00-11111111111111111111111111111111-2222222222222222-01");
      await publish(good, good.eventId);
      await waitFor("the good event handled", async () => (await handledCount(good.orderId)) === 1);
      const letters = await waitFor("the bad event in the DLQ", async () => {
        const all = await listDeadLetters({ js: fx.nats.js, jsm: fx.nats.jsm, namespace: fx.namespace });
        return all.length > 0 && all;
      });
      await waitFor("consumer idle", () => consumerIdle("retry"));
      assert.deepEqual(attempts, [1, 2, 3]);
      assert.equal(await handledCount(bad.orderId), 0);
      assert.equal(letters.length, 1);
      const letter = letters[0]!;
      deadSeq = letter.seq;
      assert.equal(letter.originalSubject, namespacedSubject(fx.namespace, OrderConfirmedSchema.typeName));
      assert.equal(letter.consumer, "retry");
      assert.equal(letter.attempts, 3);
      assert.equal(letter.error, "payment service said no second line");
      assert.equal(letter.msgId, bad.eventId);
      assert.equal(letter.traceparent, "00-11111111111111111111111111111111-2222222222222222-01");
      const detail = await showDeadLetter(
        { js: fx.nats.js, jsm: fx.nats.jsm, namespace: fx.namespace },
        deadSeq,
      );
      assert.equal((detail.event as { orderId: string }).orderId, bad.orderId);
      assert.equal(detail.decodeError, undefined);

      fixed = true;
      const results = await redrive({ js: fx.nats.js, jsm: fx.nats.jsm, namespace: fx.namespace }, deadSeq);
      assert.deepEqual(
        results.map((r) => r.seq),
        [deadSeq],
      );
      await waitFor("the redriven event handled", async () => (await handledCount(bad.orderId)) === 1);
      const remaining = await listDeadLetters({ js: fx.nats.js, jsm: fx.nats.jsm, namespace: fx.namespace });
      assert.deepEqual(remaining, []);
    } finally {
      await consumer.stop();
    }
  });

  test("a malformed payload goes straight to the DLQ without reaching the handler", async () => {
    let calls = 0;
    // Its own subject, so events of the earlier tests do not reach this handler.
    const consumer: EventConsumer = await start(
      "poison",
      async () => {
        calls++;
      },
      3,
      OrderCancelledSchema.typeName,
    );
    try {
      const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
      await fx.nats.js.publish(namespacedSubject(fx.namespace, OrderCancelledSchema.typeName), garbage, {
        msgID: randomUUID(),
      });
      const deps = { js: fx.nats.js, jsm: fx.nats.jsm, namespace: fx.namespace };
      const letter = await waitFor("the poison message in the DLQ", async () =>
        (await listDeadLetters(deps)).find((l) => l.consumer === "poison"),
      );
      assert.equal(calls, 0);
      assert.equal(letter.attempts, 1);
      assert.match(letter.error, /^poison: malformed shop\.order\.v1\.OrderCancelled payload/);
      const detail = await showDeadLetter(deps, letter.seq);
      assert.equal(detail.event, undefined);
      assert.match(detail.decodeError ?? "", /malformed/);
      const stored = await fx.nats.jsm.streams.getMessage(
        namespacedStream(fx.namespace, deadLetterStream.name),
        {
          seq: letter.seq,
        },
      );
      assert.deepEqual(stored.data, garbage);
      assert.equal(stored.subject, namespacedSubject(fx.namespace, `dlq.${OrderCancelledSchema.typeName}`));
      assert.equal(
        stored.header.get(deadLetterHeader.stream),
        namespacedStream(fx.namespace, orderStream.name),
      );
    } finally {
      await consumer.stop();
    }
  });
});
