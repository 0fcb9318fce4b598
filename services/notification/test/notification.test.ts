import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { type Client, Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MoneySchema } from "@shop/gen/shop/common/v1/money_pb";
import { NotificationSentSchema } from "@shop/gen/shop/notification/v1/events_pb";
import {
  type Notification,
  NotificationKind,
  NotificationService,
} from "@shop/gen/shop/notification/v1/notification_pb";
import { OrderCancelledSchema, OrderConfirmedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { createTestTokenIssuer, type TestTokenIssuer } from "@shop/platform/auth/testing";
import { connectJetStream, type JetStreamConnection } from "@shop/platform/events/connection";
import { listDeadLetters } from "@shop/platform/events/dlq";
import { createEvent, decodeEvent, encodeEvent, type ShopEvent } from "@shop/platform/events/event-codec";
import { namespacedStream, namespacedSubject, stripNamespace } from "@shop/platform/events/namespace";
import { deadLetterStream, deleteStreams, domainStream } from "@shop/platform/events/streams";
import { natsUrl, waitFor } from "@shop/platform/events/test-fixture";
import {
  createTestDatabase,
  freePort,
  rejectionCode,
  type TestDatabase,
  uniqueName,
} from "@shop/platform/testing";
import postgres from "postgres";
import { parseNotificationConfig } from "../src/config.js";
import { orderOutcomeDurables } from "../src/events.js";
import { type RunningNotificationService, startNotificationService } from "../src/service.js";

const orderStream = domainStream("order");
const notificationStream = domainStream("notification");
const streams = [orderStream, notificationStream, deadLetterStream];

describe("notification service over gRPC, JetStream and Postgres", () => {
  const namespace = uniqueName("notif");
  let database: TestDatabase;
  let sql: postgres.Sql;
  let nats: JetStreamConnection;
  let issuer: TestTokenIssuer;
  let service: RunningNotificationService;
  let client: Client<typeof NotificationService>;
  let metricsPort: number;

  async function startService(): Promise<void> {
    const config = parseNotificationConfig({
      DATABASE_URL: database.url,
      NATS_URL: natsUrl(),
      EVENTS_NAMESPACE: namespace,
      EVENT_MAX_DELIVER: "3",
      EVENT_RETRY_INITIAL_MS: "20",
      EVENT_RETRY_MAX_MS: "200",
      LOG_LEVEL: "silent",
      METRICS_PORT: String(metricsPort),
    });
    service = await startNotificationService({ ...config, PORT: 0 }, { verifier: issuer.verifier });
    client = createClient(
      NotificationService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.port}` }),
    );
  }

  before(async () => {
    database = await createTestDatabase({ prefix: "notification" });
    sql = postgres(database.url, { max: 2, onnotice: () => {} });
    nats = await connectJetStream({ url: natsUrl(), name: namespace });
    issuer = await createTestTokenIssuer();
    metricsPort = await freePort();
    await startService();
  });

  after(async () => {
    await service?.shutdown();
    if (nats) {
      await deleteStreams(nats.jsm, streams, { namespace }).catch(() => {});
      await nats.close();
    }
    await sql?.end({ timeout: 5 });
    await database?.drop();
  });

  /** Publishes like the order service's outbox relay: namespaced subject, protobuf payload, msg id. */
  async function publish(event: ShopEvent, msgID: string = event.eventId): Promise<void> {
    const encoded = encodeEvent(event);
    await nats.js.publish(namespacedSubject(namespace, encoded.subject), encoded.payload, { msgID });
  }

  function confirmed(userId: string, orderId = randomUUID()) {
    return createEvent(OrderConfirmedSchema, {
      orderId,
      userId,
      total: create(MoneySchema, { currencyCode: "USD", units: 64n, nanos: 500_000_000 }),
    });
  }

  function cancelled(userId: string, reason: string, orderId = randomUUID()) {
    return createEvent(OrderCancelledSchema, { orderId, userId, reason });
  }

  async function list(userId: string, request: { pageSize?: number; pageToken?: string } = {}) {
    const token = await issuer.sign({ userId, email: `${userId}@example.com` });
    return client.listNotifications(request, { headers: { authorization: `Bearer ${token}` } });
  }

  async function notificationsFor(userId: string): Promise<Notification[]> {
    return (await list(userId, { pageSize: 100 })).notifications;
  }

  /** Both consumers have nothing pending nor awaiting an ack: every published event was settled. */
  async function consumersIdle(): Promise<boolean> {
    for (const durable of Object.values(orderOutcomeDurables)) {
      const info = await nats.jsm.consumers.info(namespacedStream(namespace, orderStream.name), durable);
      if (info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  }

  async function rowsForOrder(orderId: string): Promise<number> {
    const [row] = await sql`select count(*)::int as n from notifications where order_id = ${orderId}`;
    return row?.n ?? -1;
  }

  /** NotificationSent events the relay published for an order, read back from the namespaced stream. */
  async function sentEventsFor(orderId: string) {
    const stream = namespacedStream(namespace, notificationStream.name);
    const info = await nats.jsm.streams.info(stream);
    const found = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const msg = await nats.jsm.streams.getMessage(stream, { seq });
      const subject = stripNamespace(namespace, msg.subject);
      if (subject !== NotificationSentSchema.typeName) continue;
      const { event } = decodeEvent(subject, msg.data);
      if ("orderId" in event && event.orderId === orderId) found.push(event);
    }
    return found;
  }

  test("OrderConfirmed and OrderCancelled each become one notification, listed for their owner only", async () => {
    const owner = `user-${randomUUID()}`;
    const stranger = `user-${randomUUID()}`;
    const ok = confirmed(owner);
    const ko = cancelled(owner, "payment declined: card was declined");
    await publish(ok);
    await publish(ko);

    const listed = await waitFor("two notifications for the owner", async () => {
      const found = await notificationsFor(owner);
      return found.length === 2 && found;
    });
    const byKind = new Map(listed.map((n) => [n.kind, n]));
    const yes = byKind.get(NotificationKind.ORDER_CONFIRMED);
    const no = byKind.get(NotificationKind.ORDER_CANCELLED);
    assert.ok(yes && no, "one of each kind");
    assert.equal(yes.orderId, ok.orderId);
    assert.equal(yes.userId, owner);
    assert.equal(yes.message, `Your order ${ok.orderId.slice(0, 8)} is confirmed: total USD 64.50.`);
    assert.equal(no.orderId, ko.orderId);
    assert.equal(no.message, `Your order ${ko.orderId.slice(0, 8)} was cancelled: ${ko.reason}`);
    for (const n of listed) {
      assert.match(n.id, /^[0-9a-f-]{36}$/);
      assert.ok(n.createTime, "create_time is set");
    }
    assert.deepEqual(await notificationsFor(stranger), []);

    // Each recorded notification is announced once as NotificationSent, through the outbox relay.
    const sent = await waitFor("NotificationSent published", async () => {
      const events = await sentEventsFor(ok.orderId);
      return events.length > 0 && events;
    });
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as { notificationId?: string }).notificationId, yes.id);
  });

  test("the same event delivered twice, and the same outcome under a new event id, record one notification", async () => {
    const owner = `user-${randomUUID()}`;
    const first = confirmed(owner);
    // The same event again with another Nats-Msg-Id, as a re-send outside JetStream's duplicate window.
    await publish(first);
    await publish(first, `${first.eventId}-resent`);
    // Same order outcome, different event id: only UNIQUE(order_id, kind) can catch this one.
    const again = createEvent(OrderConfirmedSchema, {
      orderId: first.orderId,
      userId: owner,
      total: first.total,
    });
    assert.notEqual(again.eventId, first.eventId);
    await publish(again);

    await waitFor("every delivery settled", async () => {
      const seen = await sql`
        select event_id from processed_events where event_id in (${first.eventId}, ${again.eventId})`;
      return seen.length === 2 && (await consumersIdle());
    });
    assert.equal(await rowsForOrder(first.orderId), 1);
    const listed = await notificationsFor(owner);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.orderId, first.orderId);
    await waitFor("the outbox relayed", async () => {
      const [row] = await sql`select count(*)::int as n from outbox where published_at is null`;
      return row?.n === 0;
    });
    assert.equal((await sentEventsFor(first.orderId)).length, 1);
  });

  test("a poison message goes to the dead-letter stream and the next good event is still processed", async () => {
    const owner = `user-${randomUUID()}`;
    const garbageId = randomUUID();
    await nats.js.publish(
      namespacedSubject(namespace, OrderConfirmedSchema.typeName),
      new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]),
      { msgID: garbageId },
    );
    const good = confirmed(owner);
    await publish(good);

    await waitFor("the good event's notification", async () => (await rowsForOrder(good.orderId)) === 1);
    const letter = await waitFor("the poison message in the DLQ", async () => {
      const letters = await listDeadLetters({ js: nats.js, jsm: nats.jsm, namespace });
      return letters.find((l) => l.msgId === garbageId);
    });
    assert.equal(letter.consumer, orderOutcomeDurables[OrderConfirmedSchema.typeName]);
    assert.equal(letter.originalSubject, namespacedSubject(namespace, OrderConfirmedSchema.typeName));
    assert.match(letter.error, /poison/);
    assert.equal((await notificationsFor(owner)).length, 1);
  });

  test("an order event without a user id is retried, then dead-lettered, without a notification", async () => {
    const broken = cancelled("", "out of stock");
    await publish(broken);
    const letter = await waitFor("the unusable event in the DLQ", async () => {
      const letters = await listDeadLetters({ js: nats.js, jsm: nats.jsm, namespace });
      return letters.find((l) => l.msgId === broken.eventId);
    });
    assert.equal(letter.consumer, orderOutcomeDurables[OrderCancelledSchema.typeName]);
    assert.equal(letter.attempts, 3);
    assert.match(letter.error, /user_id/);
    assert.equal(await rowsForOrder(broken.orderId), 0);
  });

  test("ListNotifications without a valid token is Unauthenticated", async () => {
    assert.equal(await rejectionCode(client.listNotifications({})), Code.Unauthenticated);
    assert.equal(
      await rejectionCode(client.listNotifications({}, { headers: { authorization: "Bearer not-a-jwt" } })),
      Code.Unauthenticated,
    );
    const expired = await issuer.sign({ userId: "u", email: "u@example.com" }, { expiresInSeconds: -60 });
    assert.equal(
      await rejectionCode(client.listNotifications({}, { headers: { authorization: `Bearer ${expired}` } })),
      Code.Unauthenticated,
    );
  });

  test("paging walks every notification newest first, without repeats, and rejects bad input", async () => {
    const owner = `user-${randomUUID()}`;
    const events = Array.from({ length: 5 }, () => confirmed(owner));
    for (const event of events) await publish(event);
    const all = await waitFor("five notifications", async () => {
      const found = await notificationsFor(owner);
      return found.length === 5 && found;
    });

    const pages: Notification[][] = [];
    let pageToken = "";
    for (let guard = 0; guard < 10; guard++) {
      const page = await list(owner, { pageSize: 2, pageToken });
      pages.push(page.notifications);
      pageToken = page.nextPageToken;
      if (pageToken === "") break;
    }
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2, 1],
    );
    const walked = pages.flat();
    assert.deepEqual(
      walked.map((n) => n.id),
      all.map((n) => n.id),
    );
    assert.deepEqual(new Set(walked.map((n) => n.orderId)), new Set(events.map((e) => e.orderId)));
    const times = walked.map((n) => Number(n.createTime?.seconds) * 1000 + (n.createTime?.nanos ?? 0) / 1e6);
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! >= times[i]!, "newest first");

    // Defaults: 0 means 20 (all five fit, no token); a huge size is capped, not an error.
    const defaults = await list(owner, { pageSize: 0 });
    assert.equal(defaults.notifications.length, 5);
    assert.equal(defaults.nextPageToken, "");
    assert.equal((await list(owner, { pageSize: 10_000 })).notifications.length, 5);

    // Another user's token with this token only pages through their own (empty) notifications.
    const first = await list(owner, { pageSize: 1 });
    assert.deepEqual(
      (await list(`user-${randomUUID()}`, { pageToken: first.nextPageToken })).notifications,
      [],
    );

    assert.equal(await rejectionCode(list(owner, { pageToken: "garbage" })), Code.InvalidArgument);
    const lastChar = first.nextPageToken.at(-1);
    const tampered = `${first.nextPageToken.slice(0, -1)}${lastChar === "A" ? "B" : "A"}`;
    assert.equal(await rejectionCode(list(owner, { pageToken: tampered })), Code.InvalidArgument);
    assert.equal(await rejectionCode(list(owner, { pageSize: -1 })), Code.InvalidArgument);
  });

  test("events published while the service is down are processed after a restart (durable consumers)", async () => {
    const owner = `user-${randomUUID()}`;
    await service.shutdown();
    const whileDown = cancelled(owner, "customer cancelled");
    await publish(whileDown);
    await startService();
    await waitFor(
      "the event published while down",
      async () => (await rowsForOrder(whileDown.orderId)) === 1,
    );
    const listed = await notificationsFor(owner);
    assert.deepEqual(
      listed.map((n) => [n.orderId, n.kind]),
      [[whileDown.orderId, NotificationKind.ORDER_CANCELLED]],
    );
  });
  test("the order outcome consumers export their backlog on the service's /metrics", async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const durable of Object.values(orderOutcomeDurables)) {
      const series = text
        .split("\n")
        .find(
          (line) => line.startsWith("jetstream_consumer_pending_messages{") && line.includes(`"${durable}"`),
        );
      assert.ok(series, `no pending-messages series for ${durable}`);
    }
  });
});
