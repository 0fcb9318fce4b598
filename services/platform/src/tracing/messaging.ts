import { context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  contextFromHeaders,
  contextFromTraceparent,
  type HeaderSource,
  traceparentOf,
} from "./propagation.js";
import { platformTracer } from "./tracer.js";

export interface PublishedMessage {
  /** Logical subject: the event's proto type name (`shop.order.v1.OrderConfirmed`). */
  readonly subject: string;
  /** The event id, which is also the JetStream `Nats-Msg-Id`. */
  readonly messageId: string;
  /** The `traceparent` stored with the event when it was written, if it was written in a trace. */
  readonly traceparent: string | undefined;
}

/**
 * Publishes one message inside a PRODUCER span whose parent is the trace context stored with the
 * event, and hands `publish` the `traceparent` to send (the producer span's), so the consumer's span
 * becomes its child. Why the stored context and not the active one: the relay publishes long after,
 * and outside, the request that wrote the event; the row is the only link back to it.
 * Without tracing set up, the stored `traceparent` is passed through unchanged.
 */
export async function tracePublish<T>(
  message: PublishedMessage,
  publish: (traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  const parent = contextFromTraceparent(message.traceparent);
  const span = platformTracer().startSpan(
    `publish ${message.subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "nats",
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": message.subject,
        "messaging.message.id": message.messageId,
      },
    },
    parent,
  );
  try {
    const result = await publish(traceparentOf(trace.setSpan(parent, span)) ?? message.traceparent);
    span.end();
    return result;
  } catch (error) {
    failSpan(span, error);
    span.end();
    throw error;
  }
}

const noHeaders: HeaderSource = { get: () => undefined };

export interface ConsumedMessage {
  /** Logical subject (without the test namespace). */
  readonly subject: string;
  /** The durable consumer: the `messaging.consumer.group.name`. */
  readonly consumer: string;
  readonly headers: HeaderSource | undefined;
  /** 1 on first delivery. */
  readonly attempt: number;
}

/**
 * Runs the processing of one delivered message inside a CONSUMER span whose parent is the
 * message's `traceparent` header, with that span active: the handler's database work, its outbound
 * calls and the events it writes join the publisher's trace (a checkout's notification shows up in
 * the checkout's trace). Each delivery is its own span, so retries are visible as siblings.
 */
export async function traceConsume<T>(message: ConsumedMessage, process: () => Promise<T>): Promise<T> {
  const parent = contextFromHeaders(message.headers ?? noHeaders);
  const span = platformTracer().startSpan(
    `process ${message.subject}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "nats",
        "messaging.operation.type": "process",
        "messaging.destination.name": message.subject,
        "messaging.consumer.group.name": message.consumer,
        "messaging.nats.delivery_count": message.attempt,
      },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), process);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Marks the active span failed. Why: a consumer catches its handler's error to nak and retry (the
 * processing "succeeds"), yet the trace must show that this delivery failed and why.
 */
export function recordActiveSpanFailure(error: unknown): void {
  const span = trace.getSpan(context.active());
  if (span) failSpan(span, error);
}

function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
