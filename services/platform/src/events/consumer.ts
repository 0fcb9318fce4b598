import type { ExtractTablesWithRelations } from "drizzle-orm";
import type { PostgresJsDatabase, PostgresJsTransaction } from "drizzle-orm/postgres-js";
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  nanos,
  ReplayPolicy,
} from "nats";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { parseTraceparent } from "../trace-context.js";
import { activeTraceLogFields } from "../tracing/active-trace.js";
import { recordActiveSpanFailure, traceConsume } from "../tracing/messaging.js";
import { trackConsumerPending, trackStreamMessages } from "./consumer-metrics.js";
import { deadLetterStreamName, publishDeadLetter } from "./dead-letter.js";
import {
  type DecodedEvent,
  decodeEvent,
  EventDecodeError,
  type EventRegistry,
  type ShopEvent,
  shopEventRegistry,
} from "./event-codec.js";
import { processedEvents } from "./event-tables.js";
import { type Namespace, namespacedStream, namespacedSubject, stripNamespace } from "./namespace.js";
import { isNotFound } from "./streams.js";

/** The drizzle transaction a handler does its work in; the dedupe row commits with it. */
export type EventTransaction<TSchema extends Record<string, unknown>> = PostgresJsTransaction<
  TSchema,
  ExtractTablesWithRelations<TSchema>
>;

/** What a handler knows about the delivery besides the event itself. */
export interface EventContext<TSchema extends Record<string, unknown>> {
  /** The transaction to write in; present when the consumer was given a database. */
  readonly tx: EventTransaction<TSchema> | undefined;
  /** Logical subject (the proto type name) and its schema, to switch on the event type. */
  readonly subject: string;
  readonly decoded: DecodedEvent;
  /** The W3C `traceparent` of the publisher's request, when it sent a valid one. */
  readonly traceparent: string | undefined;
  /** 1 on first delivery. */
  readonly attempt: number;
  readonly streamSequence: number;
  /** Child logger with event id, subject and trace id. */
  readonly logger: Logger;
}

export interface ConsumerBackoff {
  /** Delay before the second delivery; doubled for each further one. Default 1 s. */
  readonly initialMs: number;
  /** Ceiling of the delay. Default 60 s. */
  readonly maxMs: number;
}

export interface ConsumerOptions<TSchema extends Record<string, unknown>> {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Logical stream name, e.g. `SHOP_ORDER`. */
  readonly stream: string;
  /** Durable consumer name: one per consuming service and purpose, e.g. `notification-order-outcomes`. */
  readonly durable: string;
  /**
   * Logical subjects to receive, e.g. `["shop.order.v1.OrderConfirmed"]`. Empty = the whole stream.
   * More than one needs NATS ≥ 2.10 (multi-filter consumers); with one, any 2.9 server works.
   */
  readonly filterSubjects?: readonly string[];
  /** Does the work. Throwing rolls the transaction back and schedules a redelivery. */
  handle(event: ShopEvent, ctx: EventContext<TSchema>): Promise<void>;
  /** The consumer's database: enables exactly-once effects by event id (see `startConsumer`). */
  readonly db?: PostgresJsDatabase<TSchema>;
  /** Deliveries before a failing message is parked in the dead-letter stream. Default 5. */
  readonly maxDeliver?: number;
  readonly backoff?: Partial<ConsumerBackoff>;
  /** How long the server waits for an ack before redelivering (a handler that hangs). Default 30 s. */
  readonly ackWaitMs?: number;
  /** Messages pulled per request, processed one after another. Default 10. */
  readonly batch?: number;
  readonly logger: Logger;
  readonly namespace?: Namespace;
  readonly registry?: EventRegistry;
  /**
   * When given, the consumer's backlog (`jetstream_consumer_pending_messages`) and the depth of the
   * dead-letter stream it parks messages in (`jetstream_stream_messages`) are exported here.
   */
  readonly metricsRegistry?: Registry;
}

export interface EventConsumer {
  /** Stops pulling, lets the message in hand finish, and returns once it is acked or nak'ed. */
  stop(): Promise<void>;
}

/**
 * Starts a durable pull consumer that hands each event to `handle`.
 *
 * Why this contract: JetStream delivers at least once, so correctness needs the consumer to (1) do
 * its work and record the event id (`processed_events`) in ONE transaction — a redelivered or
 * re-published event then finds its id and is skipped; (2) ack only after that commit, so a crash
 * means redelivery, never loss; (3) on failure nak with exponential back-off instead of hot-looping;
 * (4) after `maxDeliver` attempts, or at once for bytes that can never decode, park the message in the
 * dead-letter stream and `term` it, so one poison event does not block the rest.
 * The consumer is created or updated idempotently, so every replica can call this at start-up.
 * Each delivery is processed inside a CONSUMER span parented by the message's `traceparent`, so the
 * handler's work (and the events it writes) joins the publisher's trace.
 */
export async function startConsumer<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: ConsumerOptions<TSchema>,
): Promise<EventConsumer> {
  const { js, jsm, durable, namespace } = options;
  const stream = namespacedStream(namespace, options.stream);
  const registry = options.registry ?? shopEventRegistry;
  const maxDeliver = options.maxDeliver ?? 5;
  if (!Number.isInteger(maxDeliver) || maxDeliver < 1)
    throw new RangeError("maxDeliver must be an integer ≥ 1");
  const backoff: ConsumerBackoff = { initialMs: 1_000, maxMs: 60_000, ...options.backoff };
  const logger = options.logger.child({ component: "event-consumer", stream, consumer: durable });

  await ensureConsumer(jsm, stream, durable, {
    filterSubjects: (options.filterSubjects ?? []).map((subject) => namespacedSubject(namespace, subject)),
    ackWaitMs: options.ackWaitMs ?? 30_000,
  });
  const consumer = await js.consumers.get(stream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: options.batch ?? 10 });
  const deadLetters = deadLetterStreamName(namespace);
  const tracked = options.metricsRegistry
    ? [
        trackConsumerPending(options.metricsRegistry, {
          stream,
          consumer: durable,
          read: async () => (await jsm.consumers.info(stream, durable)).num_pending,
        }),
        trackStreamMessages(options.metricsRegistry, {
          stream: deadLetters,
          read: async () => (await jsm.streams.info(deadLetters)).state.messages,
        }),
      ]
    : [];
  let stopping = false;

  const done = (async () => {
    for await (const msg of messages) {
      if (stopping) {
        msg.nak();
        continue;
      }
      try {
        await traceConsume(
          {
            subject: stripNamespace(namespace, msg.subject) ?? msg.subject,
            consumer: durable,
            headers: msg.headers,
            attempt: msg.info.deliveryCount,
          },
          () => processMessage(msg),
        );
      } catch (error) {
        logger.error(
          { err: error, seq: msg.seq },
          "unexpected consumer failure; message will be redelivered",
        );
        msg.nak(delayFor(msg.info.deliveryCount));
      }
    }
  })().catch((error: unknown) => logger.error({ err: error }, "event consumer stopped pulling"));

  async function processMessage(msg: JsMsg): Promise<void> {
    const attempt = msg.info.deliveryCount;
    const subject = stripNamespace(namespace, msg.subject);
    let decoded: DecodedEvent;
    try {
      if (subject === undefined)
        throw new EventDecodeError(`subject ${msg.subject} is outside the namespace`);
      decoded = decodeEvent(subject, msg.data, registry);
    } catch (error) {
      await giveUp(msg, attempt, `poison: ${(error as Error).message}`);
      return;
    }
    if (attempt > maxDeliver) {
      // Redelivered by ack timeout after the last allowed attempt (e.g. the process died mid-handler).
      await giveUp(msg, attempt, `no ack after ${attempt - 1} deliveries`);
      return;
    }
    const event = decoded.event;
    const traceparent = parseTraceparent(msg.headers?.get("traceparent"))
      ? msg.headers?.get("traceparent")
      : undefined;
    const eventLogger = logger.child({
      event_id: event.eventId,
      subject,
      attempt,
      ...(activeTraceLogFields() ?? (traceparent ? { trace_id: traceparent.slice(3, 35) } : {})),
    });
    const context = (tx: EventTransaction<TSchema> | undefined): EventContext<TSchema> => ({
      tx,
      subject,
      decoded,
      traceparent,
      attempt,
      streamSequence: msg.info.streamSequence,
      logger: eventLogger,
    });
    try {
      let duplicate = false;
      if (options.db) {
        await options.db.transaction(async (tx) => {
          const inserted = await tx
            .insert(processedEvents)
            .values({ consumer: durable, eventId: event.eventId })
            .onConflictDoNothing()
            .returning({ eventId: processedEvents.eventId });
          if (inserted.length === 0) {
            duplicate = true;
            return;
          }
          await options.handle(event, context(tx));
        });
      } else {
        await options.handle(event, context(undefined));
      }
      msg.ack();
      if (duplicate) eventLogger.debug("duplicate event skipped");
    } catch (error) {
      recordActiveSpanFailure(error);
      const text = error instanceof Error ? error.message : String(error);
      if (attempt >= maxDeliver) {
        await giveUp(msg, attempt, text);
        return;
      }
      const delay = delayFor(attempt);
      eventLogger.warn({ err: error, retryInMs: delay }, "event handler failed; will retry");
      msg.nak(delay);
    }
  }

  async function giveUp(msg: JsMsg, attempts: number, error: string): Promise<void> {
    try {
      await publishDeadLetter(js, namespace, msg, { consumer: durable, error, attempts });
    } catch (publishError) {
      logger.error({ err: publishError, seq: msg.seq }, "could not dead-letter message; will retry");
      msg.nak(delayFor(attempts));
      return;
    }
    msg.term();
    logger.error(
      { seq: msg.seq, subject: msg.subject, attempts, error },
      "message moved to the dead-letter stream",
    );
  }

  function delayFor(attempt: number): number {
    return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  }

  logger.info({ maxDeliver }, "event consumer started");
  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const each of tracked) each.untrack();
      await messages.close();
      await done;
      logger.info("event consumer stopped");
    },
  };
}

interface ConsumerSettings {
  filterSubjects: string[];
  ackWaitMs: number;
}

/**
 * Creates the durable consumer or brings an existing one to the declared settings. Redelivery is
 * unlimited on the server (`max_deliver` -1): the client counts attempts and dead-letters, so a
 * message is never silently dropped by the server after its last delivery.
 */
async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  settings: ConsumerSettings,
) {
  const filter =
    settings.filterSubjects.length === 1
      ? { filter_subject: settings.filterSubjects[0] }
      : settings.filterSubjects.length > 1
        ? { filter_subjects: settings.filterSubjects }
        : {};
  const update = { ack_wait: nanos(settings.ackWaitMs), max_deliver: -1, max_ack_pending: 1_000, ...filter };
  const exists = await jsm.consumers.info(stream, durable).then(
    () => true,
    (error: unknown) => {
      if (isNotFound(error)) return false;
      throw error;
    },
  );
  if (!exists) {
    try {
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        replay_policy: ReplayPolicy.Instant,
        ...update,
      });
      return;
    } catch (error) {
      // Another replica created it first: fall through to the update.
      const created = await jsm.consumers.info(stream, durable).then(
        () => true,
        () => false,
      );
      if (!created) throw error;
    }
  }
  await jsm.consumers.update(stream, durable, update);
}
