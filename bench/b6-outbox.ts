import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createEvent } from "@shop/platform/events/event-codec";
import {
  connectJetStream,
  deleteStreams,
  domainStream,
  ensureStreams,
  namespacedSubject,
  startOutboxRelay,
} from "@shop/platform/events/index";
import { createPostgres } from "@shop/platform/postgres";
import { createTestDatabase } from "@shop/platform/testing";
import pino from "pino";
import type { NewOrder } from "../services/order/src/store/order-store.js";
import { createPostgresOrderStore, toOrderRow } from "../services/order/src/store/postgres-order-store.js";
import { orders } from "../services/order/src/store/postgres-schema.js";
import { formatRatio, percentile } from "./stats.js";

export interface B6Options {
  readonly writesPerMode: number;
  readonly natsUrl: string;
}

function newOrder(): NewOrder {
  const createdAt = new Date();
  return {
    id: randomUUID(),
    userId: randomUUID(),
    idempotencyKey: randomUUID(),
    cartVersion: String(createdAt.getTime()),
    status: "PENDING",
    statusReason: "",
    items: [
      {
        productId: randomUUID(),
        name: "Canvas tote",
        quantity: 2,
        unitPrice: { currencyCode: "USD", units: 24n, nanos: 0 },
      },
      {
        productId: randomUUID(),
        name: "Coffee dripper",
        quantity: 1,
        unitPrice: { currencyCode: "USD", units: 32n, nanos: 500_000_000 },
      },
    ],
    total: { currencyCode: "USD", units: 80n, nanos: 500_000_000 },
    shippingAddress: {
      name: "Ada",
      line1: "1 Main St",
      line2: "",
      city: "Springfield",
      region: "IL",
      postalCode: "62701",
      country: "US",
    },
    paymentId: "",
    saga: {
      step: "RESERVING",
      attempts: 0,
      cardToken: "tok_visa",
      failureReason: "",
      leaseOwner: "",
      leaseExpiresAt: createdAt,
    },
    createdAt,
  };
}

/**
 * B6: the price of the transactional outbox. The same order row is written in a transaction alone,
 * and through \`OrderStore.create\` with its OrderPlaced outbox row — exactly what PlaceOrder does —
 * alternating write by write so both modes see the same database conditions. Meanwhile the
 * outbox relay publishes to JetStream and a subscriber records each event's arrival, giving the relay
 * lag (commit → message on the stream's subject).
 */
export async function runB6(options: B6Options): Promise<string> {
  const database = await createTestDatabase({ prefix: "bench_b6" });
  const logger = pino({ level: "silent" });
  const namespace = `b6${process.pid}`;
  const store = await createPostgresOrderStore({ url: database.url, logger, max: 4 }); // applies the migrations
  const pg = createPostgres({ url: database.url, logger, max: 4 });
  const nats = await connectJetStream({ url: options.natsUrl, name: "bench-b6" });
  const stream = domainStream("order");
  await ensureStreams(nats.jsm, [stream], { namespace });
  const committedAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  const subscription = nats.nc.subscribe(namespacedSubject(namespace, OrderPlacedSchema.typeName));
  const received = (async () => {
    for await (const message of subscription) {
      const id = message.headers?.get("Nats-Msg-Id");
      if (id) arrivedAt.set(id, performance.now());
    }
  })();
  const relay = await startOutboxRelay({ sql: pg.sql, js: nats.js, logger, namespace, retainPublishedMs: 0 });

  const plain: number[] = [];
  const withOutbox: number[] = [];
  try {
    // Without: the store's own insert (same row, same conflict clause), in a transaction, no outbox.
    const writePlain = async () => {
      const started = performance.now();
      await pg.db.transaction(async (tx) => {
        await tx
          .insert(orders)
          .values(toOrderRow(newOrder()))
          .onConflictDoNothing({ target: [orders.userId, orders.idempotencyKey] })
          .returning();
      });
      plain.push(performance.now() - started);
    };
    // With: exactly what PlaceOrder does, OrderStore.create with its OrderPlaced event.
    const writeWithOutbox = async () => {
      const order = newOrder();
      const event = createEvent(OrderPlacedSchema, { orderId: order.id, userId: order.userId });
      const started = performance.now();
      await store.create(order, event);
      const done = performance.now();
      committedAt.set(event.eventId, done);
      withOutbox.push(done - started);
    };
    for (let i = 0; i < 200; i++) await (i % 2 === 0 ? writePlain() : writeWithOutbox()); // warm-up
    plain.length = 0;
    withOutbox.length = 0;
    committedAt.clear();
    // Pairs of writes in a random order: the relay's work after each outbox commit overlaps whichever
    // write comes next, so a fixed order would always hand that interference to the same mode.
    for (let i = 0; i < options.writesPerMode; i++) {
      if (Math.random() < 0.5) {
        await writePlain();
        await writeWithOutbox();
      } else {
        await writeWithOutbox();
        await writePlain();
      }
    }
    const deadline = Date.now() + 30_000;
    const arrived = () => [...committedAt.keys()].filter((id) => arrivedAt.has(id)).length;
    while (arrived() < committedAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // An event can arrive before the writer has even seen its COMMIT acknowledged: that lag is 0.
    const lags = [...committedAt].flatMap(([id, commit]) => {
      const arrival = arrivedAt.get(id);
      return arrival === undefined ? [] : [Math.max(0, arrival - commit)];
    });
    return report(options, plain, withOutbox, lags);
  } finally {
    await relay.stop();
    subscription.unsubscribe();
    await received;
    await deleteStreams(nats.jsm, [stream], { namespace }).catch(() => undefined);
    await nats.close();
    await pg.close();
    await store.close();
    await database.drop();
  }
}

function report(options: B6Options, plain: number[], withOutbox: number[], lags: number[]): string {
  const ms = (v: number) => v.toFixed(2);
  const p = (values: number[], q: number) => percentile(values, q);
  return `## B6 — the transactional outbox: order write with vs without its outbox row; relay lag

Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, PostgreSQL on the same machine.
${options.writesPerMode} sequential writes per mode, in pairs of one of each in a random order, after 200 warm-up writes. "With outbox" is
\`OrderStore.create\` as PlaceOrder calls it: the order row and the OrderPlaced outbox row in one transaction (the two inserts
pipelined; the relay's \`NOTIFY\` comes from a statement trigger at commit). "Without" is the same insert alone. The relay publishes to JetStream
(\`Nats-Msg-Id\` = event id) while the writes run; lag is the writer seeing its commit → the event arriving at a subscriber.

| write | p50 ms | p99 ms |
|---|---:|---:|
| order row alone | ${ms(p(plain, 50))} | ${ms(p(plain, 99))} |
| order row + outbox row | ${ms(p(withOutbox, 50))} | ${ms(p(withOutbox, 99))} |
| **ratio with / without** | **${formatRatio(p(withOutbox, 50) / p(plain, 50))}** | **${formatRatio(p(withOutbox, 99) / p(plain, 99))}** |

Target ratio ≤ 1.10×.

Relay lag over ${lags.length} of ${options.writesPerMode} events: p50 ${ms(p(lags, 50))} ms, p99 **${ms(p(lags, 99))} ms**, max ${ms(Math.max(...lags))} ms.

Reproduce: \`npm run bench -- b6\` (Postgres and NATS JetStream running).`;
}
