import type { Logger } from "pino";
import type { Sql } from "postgres";
import type { Registry } from "prom-client";
import { connectJetStream, type JetStreamConnection } from "./connection.js";
import type { Namespace } from "./namespace.js";
import { startOutboxRelay } from "./outbox-relay.js";
import { domainStream, type EventDomain, ensureStreams, type StreamDeclaration } from "./streams.js";

export interface ServiceEventsOptions {
  /** e.g. `nats://nats:4222`: the service's NATS_URL. */
  readonly natsUrl: string;
  /** The publishing domain: names the connection and picks the stream ensured (`SHOP_<DOMAIN>`). */
  readonly domain: EventDomain;
  /** The service's postgres.js pool, whose `outbox` table the relay drains. */
  readonly sql: Sql;
  readonly logger: Logger;
  /** Prefix of streams and subjects; tests pass a unique one. */
  readonly namespace?: Namespace;
  /** Streams the service also needs beyond its own (those it consumes, the dead-letter stream). */
  readonly extraStreams?: readonly StreamDeclaration[];
  /** When given, the relay registers its lag and backlog metrics here. */
  readonly registry?: Registry;
}

/** A service's running event side: its JetStream connection (for consumers) and the outbox relay. */
export interface ServiceEvents {
  readonly nats: JetStreamConnection;
  /** Stops the relay (the round in flight finishes), then drains and closes the connection. */
  stop(): Promise<void>;
}

/**
 * Connects a service to JetStream, makes sure the streams it publishes to (and any it consumes) exist,
 * and starts the outbox relay over the service's own database.
 *
 * Why one helper: every Postgres service publishes through the outbox the same way, and the start-up
 * order matters (streams before the first publish, relay stopped before the connection, the
 * connection closed when a later step fails); written once, a service's wiring is one call. Call
 * `stop` before the database pool closes.
 */
export async function startServiceEvents(options: ServiceEventsOptions): Promise<ServiceEvents> {
  const { logger } = options;
  const namespace = options.namespace === undefined ? {} : { namespace: options.namespace };
  const nats = await connectJetStream({ url: options.natsUrl, name: options.domain, logger });
  try {
    await ensureStreams(nats.jsm, [domainStream(options.domain), ...(options.extraStreams ?? [])], namespace);
    const relay = await startOutboxRelay({
      sql: options.sql,
      js: nats.js,
      logger,
      ...namespace,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
    });
    let stopping: Promise<void> | undefined;
    return {
      nats,
      stop() {
        stopping ??= (async () => {
          try {
            await relay.stop();
          } finally {
            await nats.close();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    await nats.close();
    throw error;
  }
}
