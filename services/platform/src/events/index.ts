/**
 * Events: JetStream streams and durable consumers, the transactional outbox and its relay,
 * dead-lettering and dead-letter operations. Imported as `@shop/platform/events/index`.
 */
export { type ConnectJetStreamOptions, connectJetStream, type JetStreamConnection } from "./connection.js";
export {
  type ConsumerBackoff,
  type ConsumerOptions,
  type EventConsumer,
  type EventContext,
  type EventTransaction,
  startConsumer,
} from "./consumer.js";
export { deadLetterHeader, deadLetterStreamName, deadLetterSubject } from "./dead-letter.js";
export {
  type DeadLetter,
  type DeadLetterDeps,
  type DeadLetterDetail,
  DeadLetterNotFoundError,
  listDeadLetters,
  type RedriveResult,
  redrive,
  showDeadLetter,
} from "./dlq.js";
export {
  createEvent,
  createEventRegistry,
  type DecodedEvent,
  decodeEvent,
  EventDecodeError,
  type EventRegistry,
  encodeEvent,
  eventToJson,
  type ShopEvent,
  shopEventRegistry,
} from "./event-codec.js";
export { migrateEventTables } from "./event-migrations.js";
export { outbox, processedEvents } from "./event-tables.js";
export { type Namespace, namespacedStream, namespacedSubject } from "./namespace.js";
export { type OutboxTransaction, outboxChannel, type WriteOutboxOptions, writeOutbox } from "./outbox.js";
export { type OutboxRelay, type OutboxRelayOptions, startOutboxRelay } from "./outbox-relay.js";
export { createOutboxRelayMetrics, type OutboxRelayMetrics } from "./outbox-relay-metrics.js";
export { type ServiceEvents, type ServiceEventsOptions, startServiceEvents } from "./service-events.js";
export {
  deadLetterStream,
  deleteStreams,
  domainStream,
  type EnsureStreamsOptions,
  ensureStreams,
  eventDomains,
  type StreamDeclaration,
  shopStreams,
} from "./streams.js";
