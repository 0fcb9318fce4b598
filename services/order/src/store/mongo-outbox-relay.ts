import { randomUUID } from "node:crypto";
import { connectJetStream } from "@shop/platform/events/connection";
import { type Namespace, namespacedSubject } from "@shop/platform/events/namespace";
import { createOutboxRelayMetrics } from "@shop/platform/events/outbox-relay-metrics";
import { domainStream, ensureStreams } from "@shop/platform/events/streams";
import type { Logger } from "@shop/platform/log";
import type { Binary, ChangeStream, Collection, Db } from "mongodb";
import { MongoClient } from "mongodb";
import { type JetStreamClient, headers as natsHeaders } from "nats";
import type { Registry } from "prom-client";

/**
 * An outbox document as the MongoDB order store writes it (same shape as the platform's Postgres
 * outbox row), plus the claim fields this relay adds while it publishes the document.
 */
export interface MongoOutboxDocument {
  /** The event id: published as `Nats-Msg-Id`, so JetStream drops a re-send as a duplicate. */
  _id: string;
  /** Logical subject (full proto type name), namespaced on publish. */
  subject: string;
  payload: Binary;
  headers: Record<string, string>;
  createdAt: Date;
  /** Null until published. */
  publishedAt: Date | null;
  /** The relay publishing it right now, and until when that claim holds. */
  claimedBy?: string;
  claimExpiresAt?: Date;
}

/** The collection the MongoDB order store writes events to. */
export const mongoOutboxCollection = "outbox";

export interface MongoOutboxRelayOptions {
  /** The order service's database (the one holding the `outbox` collection). */
  readonly db: Db;
  readonly js: JetStreamClient;
  readonly logger: Logger;
  /** Prefix of the subjects published to; tests pass a unique one. */
  readonly namespace?: Namespace;
  /** Identifies this relay in claims; unique per instance by default. */
  readonly relayId?: string;
  /** How long a claim holds; a relay that died mid-publish loses its documents after this. Default 30 s. */
  readonly claimLeaseMs?: number;
  /** Documents published per round before yielding. Default 100. */
  readonly batchSize?: number;
  /** Safety sweep (and the only wake-up where change streams are unavailable). Default 5 s. */
  readonly sweepIntervalMs?: number;
  /** How long published documents stay (for inspection); 0 deletes them once published. Default 24 h. */
  readonly retainPublishedMs?: number;
  /** PubAck wait per message. Default 5 s. */
  readonly publishTimeoutMs?: number;
  /** Back-off after a failed round, doubled per failure up to `maxBackoffMs`. Default 200 ms / 10 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * When given, the relay registers the same lag and backlog metrics as the platform's Postgres
   * relay here, so the deployed (MongoDB) order service shows on the dashboard's outbox panel too.
   */
  readonly registry?: Registry;
}

export interface MongoOutboxRelay {
  readonly relayId: string;
  /** Asks for a round now (as an insert seen on the change stream would). */
  wake(): void;
  /** Stops watching and sweeping, waits for the round in flight. Unpublished documents stay pending. */
  stop(): Promise<void>;
}

/**
 * Starts the relay that moves committed outbox documents of the MongoDB order store to JetStream.
 *
 * Why: the store writes each event into `outbox` in the transaction of the order change, but the
 * platform relay reads Postgres only, so without this the deployed (MongoDB) order service would
 * never publish. Each document is claimed atomically (`findOneAndUpdate` setting a claim owner and a
 * lease), so any number of relay instances run side by side without publishing the same document
 * concurrently, and a relay that dies mid-publish only delays its claims until the lease runs out.
 * Publishing uses `Nats-Msg-Id` = event id, so a document re-sent after a crash between the publish and
 * the "published" mark is dropped by JetStream as a duplicate. A change stream on the collection wakes
 * the relay at once on an insert (replica sets only); a slow sweep catches everything else. When NATS
 * or MongoDB is unreachable, documents stay pending and the relay backs off, then catches up.
 */
export function startMongoOutboxRelay(options: MongoOutboxRelayOptions): MongoOutboxRelay {
  const { js, namespace } = options;
  const outbox: Collection<MongoOutboxDocument> =
    options.db.collection<MongoOutboxDocument>(mongoOutboxCollection);
  const relayId = options.relayId ?? `mongo-relay-${randomUUID()}`;
  const logger = options.logger.child({ component: "mongo-outbox-relay", relay: relayId });
  const claimLeaseMs = options.claimLeaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 100;
  const sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  const retainMs = options.retainPublishedMs ?? 24 * 60 * 60 * 1000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const minBackoffMs = options.minBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const metrics = options.registry
    ? createOutboxRelayMetrics(options.registry, () => outbox.countDocuments({ publishedAt: null }))
    : undefined;
  namespacedSubject(namespace, "check"); // validates the namespace before anything starts

  let stopped = false;
  let wanted = false;
  let failures = 0;
  let loop: Promise<void> | undefined;
  let cancelSleep: (() => void) | undefined;
  let changes: ChangeStream<MongoOutboxDocument> | undefined;
  let watchWarned = false;

  const wake = () => {
    if (stopped) return;
    wanted = true;
    loop ??= run().finally(() => {
      loop = undefined;
      if (wanted && !stopped) wake();
    });
  };

  async function run(): Promise<void> {
    while (wanted && !stopped) {
      wanted = false;
      try {
        const published = await relayBatch();
        failures = 0;
        if (published === batchSize) wanted = true;
      } catch (error) {
        failures++;
        metrics?.failures.inc();
        const delay = backoff(failures);
        logger.warn(
          { err: error, attempt: failures, retryInMs: delay },
          "outbox relay round failed; backing off",
        );
        await sleep(delay);
        wanted = true;
      }
    }
  }

  /** Claims the oldest pending document nobody holds (or whose holder's lease ran out). */
  async function claimNext(): Promise<MongoOutboxDocument | null> {
    const now = new Date();
    return outbox.findOneAndUpdate(
      {
        publishedAt: null,
        $or: [{ claimExpiresAt: { $exists: false } }, { claimExpiresAt: { $lt: now } }],
      },
      { $set: { claimedBy: relayId, claimExpiresAt: new Date(now.getTime() + claimLeaseMs) } },
      { sort: { createdAt: 1, _id: 1 }, returnDocument: "after" },
    );
  }

  async function relayBatch(): Promise<number> {
    let published = 0;
    while (published < batchSize && !stopped) {
      const doc = await claimNext();
      if (!doc) break;
      try {
        await publish(doc);
      } catch (error) {
        // Let another round (or relay) retry it now rather than after the lease.
        await outbox
          .updateOne({ _id: doc._id, claimedBy: relayId }, { $unset: { claimedBy: "", claimExpiresAt: "" } })
          .catch(() => undefined);
        throw error;
      }
      metrics?.lag.observe(Math.max(0, (Date.now() - doc.createdAt.getTime()) / 1000));
      const mine = { _id: doc._id, claimedBy: relayId };
      if (retainMs === 0) await outbox.deleteOne(mine);
      else {
        await outbox.updateOne(mine, {
          $set: { publishedAt: new Date() },
          $unset: { claimedBy: "", claimExpiresAt: "" },
        });
      }
      published++;
      metrics?.published.inc();
    }
    return published;
  }

  async function publish(doc: MongoOutboxDocument): Promise<void> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(doc.headers ?? {})) h.set(key, value);
    await js.publish(namespacedSubject(namespace, doc.subject), doc.payload.value(), {
      msgID: doc._id,
      headers: h,
      timeout: publishTimeoutMs,
    });
  }

  async function purgePublished(): Promise<void> {
    if (retainMs === 0) return;
    try {
      await outbox.deleteMany({ publishedAt: { $lt: new Date(Date.now() - retainMs) } });
    } catch (error) {
      logger.warn({ err: error }, "could not purge published outbox documents");
    }
  }

  /** Opens the change stream when it is not open; a standalone server refuses, and the sweep covers. */
  function watch(): void {
    if (stopped || changes) return;
    const stream = outbox.watch<MongoOutboxDocument>([{ $match: { operationType: "insert" } }]);
    changes = stream;
    stream.on("change", () => wake());
    stream.on("error", (error) => {
      if (!watchWarned) {
        watchWarned = true;
        logger.warn({ err: error }, "outbox change stream unavailable; relying on the sweep");
      }
      changes = undefined;
      void stream.close().catch(() => undefined);
    });
    // Anything inserted before the stream opened is caught by this round.
    wake();
  }

  function backoff(attempt: number): number {
    const ceiling = Math.min(maxBackoffMs, minBackoffMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        cancelSleep = undefined;
        resolve();
      }
      cancelSleep = done;
    });
  }

  watch();
  const sweep = setInterval(() => {
    watch();
    wake();
    void purgePublished();
  }, sweepIntervalMs);
  sweep.unref();
  logger.info({ sweepIntervalMs, batchSize, claimLeaseMs }, "mongo outbox relay started");

  return {
    relayId,
    wake,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(sweep);
      cancelSleep?.();
      await changes
        ?.close()
        .catch((error: unknown) => logger.warn({ err: error }, "closing the change stream failed"));
      await loop;
      logger.info("mongo outbox relay stopped");
    },
  };
}

/**
 * Wires the relay for the order service: its own MongoDB client on the order database, a JetStream
 * connection, and the order stream ensured. Why a separate client from the store's: the store stays
 * unaware of publishing, and closing order is explicit. Returns the hooks that stop the relay and close
 * both connections, to run before the store closes.
 */
export async function startOrderMongoEventRelay(options: {
  mongoUrl: string;
  databaseName: string;
  natsUrl: string;
  logger: Logger;
  namespace?: Namespace;
  /** The service's metrics registry, where the relay's lag and backlog are exported. */
  registry?: Registry;
}): Promise<Array<() => Promise<void>>> {
  const mongo = new MongoClient(options.mongoUrl);
  await mongo.connect();
  try {
    const nats = await connectJetStream({ url: options.natsUrl, name: "order", logger: options.logger });
    try {
      const namespace = options.namespace === undefined ? {} : { namespace: options.namespace };
      await ensureStreams(nats.jsm, [domainStream("order")], namespace);
      const relay = startMongoOutboxRelay({
        db: mongo.db(options.databaseName),
        js: nats.js,
        logger: options.logger,
        ...namespace,
        ...(options.registry === undefined ? {} : { registry: options.registry }),
      });
      return [() => relay.stop(), () => nats.close(), () => mongo.close()];
    } catch (error) {
      await nats.close();
      throw error;
    }
  } catch (error) {
    await mongo.close();
    throw error;
  }
}
