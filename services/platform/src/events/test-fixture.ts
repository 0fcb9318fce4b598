import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { StoredMsg } from "nats";
import { type Logger, pino } from "pino";
import postgres, { type Sql } from "postgres";
import { createTestDatabase, type TestDatabase } from "../testing/database.js";
import { uniqueName } from "../testing/names.js";
import { connectJetStream, type JetStreamConnection } from "./connection.js";
import { migrateEventTables } from "./event-migrations.js";
import { namespacedStream, namespacedSubject } from "./namespace.js";
import {
  deleteStreams,
  domainStream,
  type EventDomain,
  ensureStreams,
  isNotFound,
  type StreamDeclaration,
} from "./streams.js";

/** Everything an events test needs, isolated: its own database, namespace and streams. */
export interface EventsFixture {
  readonly namespace: string;
  readonly database: TestDatabase;
  readonly sql: Sql;
  readonly db: PostgresJsDatabase & { $client: Sql };
  readonly nats: JetStreamConnection;
  readonly logger: Logger;
  close(): Promise<void>;
}

/**
 * Sets up a fresh database with the event tables, a unique namespace and its streams on the real
 * NATS server. Why: the events tests must run in parallel with each other and with leftovers of
 * crashed runs without seeing their rows or messages. `close` drops the streams and the database.
 */
export async function createEventsFixture(streams: readonly StreamDeclaration[]): Promise<EventsFixture> {
  const namespace = uniqueName("ev");
  const database = await createTestDatabase({ prefix: "events" });
  const sql = postgres(database.url, { max: 5, onnotice: () => {} });
  const db = drizzle(sql) as PostgresJsDatabase & { $client: Sql };
  await migrateEventTables(db);
  const nats = await connectJetStream({ url: natsUrl(), name: namespace });
  await ensureStreams(nats.jsm, streams, { namespace });
  const logger: Logger = pino({ level: "silent" });
  return {
    namespace,
    database,
    sql,
    db,
    nats,
    logger,
    async close() {
      await deleteStreams(nats.jsm, streams, { namespace }).catch(() => {});
      await nats.close();
      await sql.end({ timeout: 5 });
      await database.drop();
    },
  };
}

/** The NATS server tests use: `NATS_URL` as for the services, else the local default. */
export function natsUrl(): string {
  return process.env.NATS_URL ?? "nats://127.0.0.1:4222";
}

/**
 * Polls `check` until it returns a value other than undefined/false, failing after `timeoutMs`.
 * Why: every wait in an events test must be bounded, so a broken relay or consumer fails the test
 * with a message instead of hanging the run.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A private namespace on the real NATS server, from which a test reads what a service published. */
export interface PublishedEvents {
  /** Give it to the service under test (its `eventsNamespace` or EVENTS_NAMESPACE). */
  readonly namespace: string;
  readonly nats: JetStreamConnection;
  /** Waits, bounded, for the newest message on `subject` (its proto name) in the domain's stream. */
  lastMessage(subject: string): Promise<StoredMsg>;
  /** Deletes the domain's stream of this namespace and closes the connection. */
  close(): Promise<void>;
}

/**
 * Watches what a service publishes to `domain`'s stream, under a namespace of its own. Why: the
 * "an event reaches JetStream through the relay" tests of every service read the same way; the
 * stream may not exist until the service first publishes, so a missing stream or message means
 * "not yet", never a failure.
 */
export async function watchPublishedEvents(domain: EventDomain, prefix: string): Promise<PublishedEvents> {
  const namespace = uniqueName(prefix);
  const stream = domainStream(domain);
  const nats = await connectJetStream({ url: natsUrl(), name: namespace });
  return {
    namespace,
    nats,
    lastMessage: (subject) =>
      waitFor(`the ${subject} message`, async () => {
        try {
          return await nats.jsm.streams.getMessage(namespacedStream(namespace, stream.name), {
            last_by_subj: namespacedSubject(namespace, subject),
          });
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
      }),
    async close() {
      await deleteStreams(nats.jsm, [stream], { namespace }).catch(() => {});
      await nats.close();
    },
  };
}
