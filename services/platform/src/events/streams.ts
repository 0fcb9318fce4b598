import { DiscardPolicy, type JetStreamManager, NatsError, nanos, RetentionPolicy, StorageType } from "nats";
import { type Namespace, namespacedStream, namespacedSubject } from "./namespace.js";

/** One JetStream stream as the code declares it; names and subjects are logical (no namespace). */
export interface StreamDeclaration {
  /** Upper-case stream name, e.g. `SHOP_ORDER`. */
  readonly name: string;
  readonly description: string;
  /** Subject filters the stream captures, e.g. `shop.order.v1.>`. */
  readonly subjects: readonly string[];
  /** Window in which a repeated `Nats-Msg-Id` is dropped as a duplicate (outbox re-sends). */
  readonly duplicateWindowMs: number;
  /** Messages older than this are removed. */
  readonly maxAgeMs: number;
  /** Total size cap; the oldest messages go first when it is reached. */
  readonly maxBytes: number;
}

const minute = 60_000;
const day = 24 * 60 * minute;
const gib = 1024 ** 3;

/** The business domains that publish events; each gets one stream `SHOP_<DOMAIN>` on `shop.<domain>.v1.>`. */
export const eventDomains = [
  "user",
  "product",
  "inventory",
  "cart",
  "order",
  "payment",
  "notification",
] as const;
export type EventDomain = (typeof eventDomains)[number];

/**
 * The stream of one domain's events. Why one per domain: retention, limits and replay can be tuned
 * per domain, and a consumer binds to the stream of the facts it cares about.
 */
export function domainStream(domain: EventDomain): StreamDeclaration {
  return {
    name: `SHOP_${domain.toUpperCase()}`,
    description: `Events of the ${domain} service (protobuf payloads, subject = full proto type name).`,
    subjects: [`shop.${domain}.v1.>`],
    duplicateWindowMs: 2 * minute,
    maxAgeMs: 7 * day,
    maxBytes: gib,
  };
}

/** Logical subject prefix of dead letters: a message from `X` is parked as `dlq.X`. */
export const deadLetterSubjectPrefix = "dlq";

/** The dead-letter stream: messages a consumer gave up on, kept for an operator to inspect and redrive. */
export const deadLetterStream: StreamDeclaration = {
  name: "SHOP_DLQ",
  description: "Dead letters: events a consumer could not process, with the failure in headers.",
  subjects: [`${deadLetterSubjectPrefix}.>`],
  duplicateWindowMs: 2 * minute,
  maxAgeMs: 30 * day,
  maxBytes: gib,
};

/** Every stream of the mesh: one per domain plus the dead-letter stream. */
export const shopStreams: readonly StreamDeclaration[] = [
  ...eventDomains.map(domainStream),
  deadLetterStream,
];

export interface EnsureStreamsOptions {
  /** Prefix for stream names and subjects; tests pass a unique one. */
  readonly namespace?: Namespace;
}

/**
 * Creates each declared stream, or updates it to the declaration when it already exists.
 *
 * Why at start-up and in code: streams are part of the contract, so every service makes sure they
 * exist before it publishes or consumes, and a changed limit rolls out with the code. Several services
 * start at once, so a "stream already exists" answer to a create (another process won the race) is
 * resolved by updating instead of failing.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  declarations: readonly StreamDeclaration[],
  options: EnsureStreamsOptions = {},
): Promise<void> {
  for (const declaration of declarations) {
    await ensureStream(jsm, declaration, options.namespace);
  }
}

async function ensureStream(jsm: JetStreamManager, declaration: StreamDeclaration, namespace: Namespace) {
  const name = namespacedStream(namespace, declaration.name);
  const update = {
    description: declaration.description,
    subjects: declaration.subjects.map((subject) => namespacedSubject(namespace, subject)),
    duplicate_window: nanos(declaration.duplicateWindowMs),
    max_age: nanos(declaration.maxAgeMs),
    max_bytes: declaration.maxBytes,
    discard: DiscardPolicy.Old,
  };
  if (await streamExists(jsm, name)) {
    await jsm.streams.update(name, update);
    return;
  }
  try {
    await jsm.streams.add({ name, retention: RetentionPolicy.Limits, storage: StorageType.File, ...update });
  } catch (error) {
    if (!(await streamExists(jsm, name))) throw error;
    await jsm.streams.update(name, update);
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** True for a JetStream API "not found" answer (stream, consumer or message), whatever the server version. */
export function isNotFound(error: unknown): boolean {
  return error instanceof NatsError && (error.api_error?.code === 404 || error.code === "404");
}

/**
 * Deletes the given streams, ignoring those already gone. Why: tests clean up the namespaced streams
 * they created so a long-lived NATS server does not accumulate them.
 */
export async function deleteStreams(
  jsm: JetStreamManager,
  declarations: readonly StreamDeclaration[],
  options: EnsureStreamsOptions = {},
): Promise<void> {
  for (const declaration of declarations) {
    try {
      await jsm.streams.delete(namespacedStream(options.namespace, declaration.name));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}
