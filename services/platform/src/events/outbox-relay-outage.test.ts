import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { OrderPlacedSchema } from "@shop/gen/shop/order/v1/events_pb";
import { Registry } from "prom-client";
import { connectJetStream, type JetStreamConnection } from "./connection.js";
import { createEvent } from "./event-codec.js";
import { namespacedStream } from "./namespace.js";
import { writeOutbox } from "./outbox.js";
import { startOutboxRelay } from "./outbox-relay.js";
import { domainStream, ensureStreams } from "./streams.js";
import { createEventsFixture, type EventsFixture, waitFor } from "./test-fixture.js";

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * This test needs to stop and restart NATS, so it runs a private `nats-server -js` (from PATH) on its own
 * port and store instead of the shared one.
 */
describe("outbox relay during a NATS outage", () => {
  let fx: EventsFixture;
  let storeDir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let nats: JetStreamConnection;

  async function startNats() {
    server = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], {
      stdio: "ignore",
    });
    await waitFor("private nats-server up", () =>
      connectJetStream({ url: `nats://127.0.0.1:${port}`, name: "probe" }).then(
        async (c) => {
          await c.close();
          return true;
        },
        () => false,
      ),
    );
  }

  async function stopNats() {
    const proc = server;
    if (!proc || proc.exitCode !== null) return;
    await new Promise((resolve) => {
      proc.once("exit", resolve);
      proc.kill("SIGTERM");
    });
  }

  before(async () => {
    fx = await createEventsFixture([]);
    storeDir = await mkdtemp(join(tmpdir(), "nats-outage-"));
    port = await freePort();
    await startNats();
    nats = await connectJetStream({ url: `nats://127.0.0.1:${port}`, name: "relay" });
    await ensureStreams(nats.jsm, [domainStream("order")], { namespace: fx.namespace });
  });
  after(async () => {
    await nats?.close().catch(() => {});
    await stopNats();
    await rm(storeDir, { recursive: true, force: true });
    await fx.close();
  });

  test("rows committed while NATS is down stay pending and all go out once it is back", async () => {
    const registry = new Registry();
    const relay = await startOutboxRelay({
      sql: fx.sql,
      js: nats.js,
      logger: fx.logger,
      namespace: fx.namespace,
      publishTimeoutMs: 500,
      minBackoffMs: 50,
      maxBackoffMs: 500,
      registry,
    });
    try {
      await stopNats();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const event = createEvent(OrderPlacedSchema, { orderId: `outage-${i}`, userId: "u1" });
        ids.push(event.eventId);
        await fx.db.transaction((tx) => writeOutbox(tx, event));
      }
      await waitFor("a failed relay round", async () =>
        /outbox_relay_failures_total [1-9]/.test(
          await registry.getSingleMetricAsString("outbox_relay_failures_total"),
        ),
      );
      const [pending] = await fx.sql`select count(*)::int as n from outbox where published_at is null`;
      assert.equal(pending?.n, ids.length);

      await startNats();
      await waitFor(
        "every row published after NATS is back",
        async () => {
          const [row] = await fx.sql`select count(*)::int as n from outbox where published_at is null`;
          return row?.n === 0;
        },
        20_000,
      );
      const info = await nats.jsm.streams.info(namespacedStream(fx.namespace, "SHOP_ORDER"));
      assert.equal(info.state.messages, ids.length);
    } finally {
      await relay.stop();
    }
  });
});
