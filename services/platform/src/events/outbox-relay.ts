import { type JetStreamClient, headers as natsHeaders } from "nats";
import type { Logger } from "pino";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import { tracePublish } from "../tracing/messaging.js";
import { type Namespace, namespacedSubject } from "./namespace.js";
import { outboxChannel } from "./outbox.js";
import { createOutboxRelayMetrics } from "./outbox-relay-metrics.js";

export interface OutboxRelayOptions {
  /** The service's postgres.js pool (one connection is taken for LISTEN). */
  readonly sql: Sql;
  readonly js: JetStreamClient;
  readonly logger: Logger;
  /** Prefix of the subjects published to; tests pass a unique one. */
  readonly namespace?: Namespace;
  /** Rows claimed per transaction. Default 100. */
  readonly batchSize?: number;
  /** Safety sweep for a missed NOTIFY (e.g. while the LISTEN connection reconnected). Default 5 s. */
  readonly sweepIntervalMs?: number;
  /** How long published rows stay (for inspection); 0 deletes them once published. Default 24 h. */
  readonly retainPublishedMs?: number;
  /** PubAck wait per message. Default 5 s. */
  readonly publishTimeoutMs?: number;
  /** Back-off after a failed round, doubled per failure up to `maxBackoffMs`. Default 200 ms / 10 s. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** When given, the relay registers its lag and backlog metrics here (see outbox-relay-metrics.ts). */
  readonly registry?: Registry;
}

export interface OutboxRelay {
  /** Asks for a round now (as a NOTIFY would). */
  wake(): void;
  /** Stops listening and sweeping, waits for the round in flight to finish. Pending rows stay pending. */
  stop(): Promise<void>;
}

interface OutboxRow {
  id: string;
  subject: string;
  payload: Uint8Array;
  headers: Record<string, string> | null;
  /** A Date, or an ISO string when drizzle has wrapped the pool (it turns the timestamp parsers off). */
  created_at: Date | string;
}

/**
 * Starts the relay that moves committed outbox rows to JetStream.
 *
 * Why this shape: it sleeps until a transaction that wrote an event commits (LISTEN/NOTIFY), so events
 * leave within milliseconds without polling, and a slow sweep catches anything a lost notification
 * missed. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so any number of relay replicas run side by
 * side without publishing the same row concurrently; each row is published with `Nats-Msg-Id` = event
 * id, so a row re-sent after a crash between publish and commit is dropped by JetStream as a duplicate.
 * When NATS is unreachable the rows simply stay pending and the relay backs off, then catches up.
 * Each publish is a PRODUCER span, child of the trace context stored with the row.
 */
export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const { sql, js, namespace } = options;
  const logger = options.logger.child({ component: "outbox-relay" });
  const batchSize = options.batchSize ?? 100;
  const sweepIntervalMs = options.sweepIntervalMs ?? 5_000;
  const retainMs = options.retainPublishedMs ?? 24 * 60 * 60 * 1000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  const minBackoffMs = options.minBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const metrics = options.registry
    ? createOutboxRelayMetrics(options.registry, async () => {
        const [row] = await sql<{ count: number }[]>`
          select count(*)::int as count from outbox where published_at is null`;
        return row?.count ?? 0;
      })
    : undefined;
  namespacedSubject(namespace, "check"); // validates the namespace before anything starts

  let stopped = false;
  let wanted = false;
  let failures = 0;
  let loop: Promise<void> | undefined;
  let cancelSleep: (() => void) | undefined;

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

  async function relayBatch(): Promise<number> {
    let failure: unknown;
    const count = await sql.begin(async (tx) => {
      const rows = await tx<OutboxRow[]>`
        select id, subject, payload, headers, created_at from outbox
        where published_at is null
        order by created_at, id
        limit ${batchSize}
        for update skip locked`;
      if (rows.length === 0) return 0;
      const results = await Promise.allSettled(rows.map((row) => publish(row)));
      const done: string[] = [];
      const now = Date.now();
      results.forEach((result, i) => {
        const row = rows[i];
        if (!row) return;
        if (result.status === "fulfilled") {
          done.push(row.id);
          metrics?.lag.observe(Math.max(0, (now - new Date(row.created_at).getTime()) / 1000));
        } else {
          failure ??= result.reason;
        }
      });
      if (done.length > 0) {
        if (retainMs === 0) await tx`delete from outbox where id in ${tx(done)}`;
        else await tx`update outbox set published_at = now() where id in ${tx(done)}`;
        metrics?.published.inc(done.length);
      }
      return done.length;
    });
    if (failure !== undefined) throw failure;
    return count;
  }

  async function publish(row: OutboxRow): Promise<void> {
    const h = natsHeaders();
    for (const [key, value] of Object.entries(row.headers ?? {})) h.set(key, value);
    const message = { subject: row.subject, messageId: row.id, traceparent: row.headers?.traceparent };
    await tracePublish(message, async (traceparent) => {
      if (traceparent) h.set("traceparent", traceparent);
      await js.publish(namespacedSubject(namespace, row.subject), row.payload, {
        msgID: row.id,
        headers: h,
        timeout: publishTimeoutMs,
      });
    });
  }

  async function purgePublished(): Promise<void> {
    if (retainMs === 0) return;
    try {
      await sql`delete from outbox where published_at < now() - make_interval(secs => ${retainMs / 1000})`;
    } catch (error) {
      logger.warn({ err: error }, "could not purge published outbox rows");
    }
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

  const listener = await sql.listen(
    outboxChannel,
    () => wake(),
    () => wake(), // (re)subscribed: catch up on anything committed while not listening
  );
  const sweep = setInterval(() => {
    wake();
    void purgePublished();
  }, sweepIntervalMs);
  sweep.unref();
  logger.info({ sweepIntervalMs, batchSize }, "outbox relay started");

  return {
    wake,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(sweep);
      cancelSleep?.();
      await listener.unlisten().catch((error: unknown) => logger.warn({ err: error }, "unlisten failed"));
      await loop;
      logger.info("outbox relay stopped");
    },
  };
}
