import { type JetStreamClient, type JsMsg, headers as natsHeaders } from "nats";
import { type Namespace, namespacedStream, namespacedSubject, stripNamespace } from "./namespace.js";
import { deadLetterStream, deadLetterSubjectPrefix } from "./streams.js";

/** Headers a dead letter carries, next to the original payload, so an operator sees why it is there. */
export const deadLetterHeader = {
  /** Wire subject the message was published on; redrive publishes back to it. */
  subject: "Shop-Dlq-Subject",
  /** Stream and sequence it was stored at. */
  stream: "Shop-Dlq-Stream",
  sequence: "Shop-Dlq-Sequence",
  /** Durable consumer that gave up on it. */
  consumer: "Shop-Dlq-Consumer",
  /** The last error, one line, truncated. */
  error: "Shop-Dlq-Error",
  /** Deliveries made before giving up. */
  attempts: "Shop-Dlq-Attempts",
  /** When it was first published (ISO 8601) and when it was parked. */
  publishedAt: "Shop-Dlq-Published-At",
  failedAt: "Shop-Dlq-Failed-At",
  /** Its original `Nats-Msg-Id` (the event id for outbox events). */
  msgId: "Shop-Dlq-Msg-Id",
} as const;

/** The dead-letter subject of a wire subject: `dlq.<logical subject>`, namespaced like the original. */
export function deadLetterSubject(namespace: Namespace, wireSubject: string): string {
  const logical = stripNamespace(namespace, wireSubject) ?? wireSubject;
  return namespacedSubject(namespace, `${deadLetterSubjectPrefix}.${logical}`);
}

/** The wire name of the dead-letter stream in this namespace. */
export function deadLetterStreamName(namespace: Namespace): string {
  return namespacedStream(namespace, deadLetterStream.name);
}

export interface DeadLetterReason {
  readonly consumer: string;
  readonly error: string;
  readonly attempts: number;
}

/** Header values are single-line; keep the error readable but bounded. */
function oneLine(text: string, max = 500): string {
  const flat = text.replace(/[\r\n]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Copies a message the consumer gives up on into the dead-letter stream, with the failure in headers
 * and the original payload and `traceparent` untouched. Why a stream and not a log line: the message
 * must survive for an operator to inspect and redrive after the bug is fixed. The publish is
 * deduplicated by (stream, sequence, consumer), so a crash before `term()` does not park it twice.
 */
export async function publishDeadLetter(
  js: JetStreamClient,
  namespace: Namespace,
  msg: JsMsg,
  reason: DeadLetterReason,
): Promise<void> {
  const h = natsHeaders();
  const info = msg.info;
  h.set(deadLetterHeader.subject, msg.subject);
  h.set(deadLetterHeader.stream, info.stream);
  h.set(deadLetterHeader.sequence, String(info.streamSequence));
  h.set(deadLetterHeader.consumer, reason.consumer);
  h.set(deadLetterHeader.error, oneLine(reason.error) || "unknown error");
  h.set(deadLetterHeader.attempts, String(reason.attempts));
  h.set(deadLetterHeader.publishedAt, new Date(info.timestampNanos / 1_000_000).toISOString());
  h.set(deadLetterHeader.failedAt, new Date().toISOString());
  const msgId = msg.headers?.get("Nats-Msg-Id");
  if (msgId) h.set(deadLetterHeader.msgId, msgId);
  const traceparent = msg.headers?.get("traceparent");
  if (traceparent) h.set("traceparent", traceparent);
  await js.publish(deadLetterSubject(namespace, msg.subject), msg.data, {
    headers: h,
    msgID: `${info.stream}:${info.streamSequence}:${reason.consumer}`,
  });
}
