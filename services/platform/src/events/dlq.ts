import { type JetStreamClient, type JetStreamManager, headers as natsHeaders, type StoredMsg } from "nats";
import { deadLetterHeader, deadLetterStreamName } from "./dead-letter.js";
import { decodeEvent, type EventRegistry, eventToJson, shopEventRegistry } from "./event-codec.js";
import { type Namespace, stripNamespace } from "./namespace.js";
import { isNotFound } from "./streams.js";

/** What the dead-letter operations need: a NATS connection's JetStream handles and the namespace. */
export interface DeadLetterDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly namespace?: Namespace;
  readonly registry?: EventRegistry;
}

/** One parked message, as an operator reads it. */
export interface DeadLetter {
  /** Sequence in the dead-letter stream: the handle for show / redrive. */
  readonly seq: number;
  /** Where it came from and will be redriven to. */
  readonly originalSubject: string;
  readonly originalStream: string;
  readonly originalSequence: number;
  readonly consumer: string;
  readonly error: string;
  readonly attempts: number;
  readonly publishedAt: string;
  readonly failedAt: string;
  readonly msgId: string | undefined;
  readonly traceparent: string | undefined;
  readonly payload: Uint8Array;
}

/** A dead letter with its payload decoded, when its type is known and the bytes are valid. */
export interface DeadLetterDetail extends DeadLetter {
  readonly event: unknown;
  readonly decodeError: string | undefined;
}

/** Asked for a sequence that is not (or no longer) in the dead-letter stream. */
export class DeadLetterNotFoundError extends Error {
  override readonly name = "DeadLetterNotFoundError";
  constructor(readonly seq: number) {
    super(`no dead letter with sequence ${seq}`);
  }
}

function assertSequence(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new RangeError(`a dead-letter sequence is a positive integer, got ${seq}`);
  }
}

function toDeadLetter(stored: StoredMsg): DeadLetter {
  const get = (name: string) => stored.header?.get(name) || undefined;
  const originalSubject = get(deadLetterHeader.subject);
  if (!originalSubject) {
    throw new Error(
      `message ${stored.seq} in the dead-letter stream has no ${deadLetterHeader.subject} header`,
    );
  }
  return {
    seq: stored.seq,
    originalSubject,
    originalStream: get(deadLetterHeader.stream) ?? "",
    originalSequence: Number(get(deadLetterHeader.sequence) ?? 0),
    consumer: get(deadLetterHeader.consumer) ?? "",
    error: get(deadLetterHeader.error) ?? "",
    attempts: Number(get(deadLetterHeader.attempts) ?? 0),
    publishedAt: get(deadLetterHeader.publishedAt) ?? "",
    failedAt: get(deadLetterHeader.failedAt) ?? stored.time.toISOString(),
    msgId: get(deadLetterHeader.msgId),
    traceparent: get("traceparent"),
    payload: stored.data,
  };
}

async function fetchDeadLetter(deps: DeadLetterDeps, seq: number): Promise<DeadLetter> {
  assertSequence(seq);
  try {
    return toDeadLetter(await deps.jsm.streams.getMessage(deadLetterStreamName(deps.namespace), { seq }));
  } catch (error) {
    if (isNotFound(error)) throw new DeadLetterNotFoundError(seq);
    throw error;
  }
}

/**
 * Lists the parked messages, oldest first (at most `limit`, default 100). Why: the first thing an
 * operator asks during an incident is what is stuck, where from, and with which error.
 */
export async function listDeadLetters(
  deps: DeadLetterDeps,
  options: { limit?: number } = {},
): Promise<DeadLetter[]> {
  const limit = options.limit ?? 100;
  const stream = deadLetterStreamName(deps.namespace);
  const info = await deps.jsm.streams.info(stream).catch((error: unknown) => {
    if (isNotFound(error))
      throw new Error(`the dead-letter stream ${stream} does not exist (no service created it yet)`);
    throw error;
  });
  const letters: DeadLetter[] = [];
  if (info.state.messages === 0) return letters;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && letters.length < limit; seq++) {
    try {
      letters.push(await fetchDeadLetter(deps, seq));
    } catch (error) {
      if (!(error instanceof DeadLetterNotFoundError)) throw error;
    }
  }
  return letters;
}

/**
 * One dead letter with its payload decoded as proto3 JSON when the event type is known. Why: the
 * payload is binary protobuf; an operator deciding whether to redrive needs to read it.
 */
export async function showDeadLetter(deps: DeadLetterDeps, seq: number): Promise<DeadLetterDetail> {
  const letter = await fetchDeadLetter(deps, seq);
  const subject = stripNamespace(deps.namespace, letter.originalSubject) ?? letter.originalSubject;
  try {
    const decoded = decodeEvent(subject, letter.payload, deps.registry ?? shopEventRegistry);
    return { ...letter, event: eventToJson(decoded), decodeError: undefined };
  } catch (error) {
    return { ...letter, event: undefined, decodeError: (error as Error).message };
  }
}

/** The outcome of redriving one dead letter. */
export interface RedriveResult {
  readonly seq: number;
  readonly subject: string;
  /** Sequence of the republished message in the original stream. */
  readonly republishedSeq: number;
}

/**
 * Republishes dead letters to their original subject and removes them from the dead-letter stream;
 * `"all"` redrives every one. Why a new `Nats-Msg-Id` (`<original>:redrive:<seq>`): the original id
 * may still be inside the stream's duplicate window, and JetStream would silently drop the redrive.
 * Consumers still dedupe by the event id in the payload, so consumers that had succeeded skip it.
 */
export async function redrive(deps: DeadLetterDeps, target: number | "all"): Promise<RedriveResult[]> {
  if (target !== "all") return [await redriveOne(deps, await fetchDeadLetter(deps, target))];
  const results: RedriveResult[] = [];
  for (;;) {
    const batch = await listDeadLetters(deps, { limit: 100 });
    if (batch.length === 0) return results;
    for (const letter of batch) results.push(await redriveOne(deps, letter));
  }
}

async function redriveOne(deps: DeadLetterDeps, letter: DeadLetter): Promise<RedriveResult> {
  const h = natsHeaders();
  if (letter.traceparent) h.set("traceparent", letter.traceparent);
  h.set("Shop-Redriven-From", String(letter.seq));
  const ack = await deps.js.publish(letter.originalSubject, letter.payload, {
    headers: h,
    msgID: `${letter.msgId ?? `${letter.originalStream}:${letter.originalSequence}`}:redrive:${letter.seq}`,
  });
  await deps.jsm.streams.deleteMessage(deadLetterStreamName(deps.namespace), letter.seq);
  return { seq: letter.seq, subject: letter.originalSubject, republishedSeq: ack.seq };
}
