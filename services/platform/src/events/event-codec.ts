import { randomUUID } from "node:crypto";
import {
  create,
  type DescMessage,
  fromBinary,
  type Message,
  type MessageInitShape,
  type MessageShape,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import { type Timestamp, timestampNow } from "@bufbuild/protobuf/wkt";
import { file_shop_cart_v1_events } from "@shop/gen/shop/cart/v1/events_pb";
import { file_shop_inventory_v1_events } from "@shop/gen/shop/inventory/v1/events_pb";
import { file_shop_notification_v1_events } from "@shop/gen/shop/notification/v1/events_pb";
import { file_shop_order_v1_events } from "@shop/gen/shop/order/v1/events_pb";
import { file_shop_payment_v1_events } from "@shop/gen/shop/payment/v1/events_pb";
import { file_shop_product_v1_events } from "@shop/gen/shop/product/v1/events_pb";
import { file_shop_user_v1_events } from "@shop/gen/shop/user/v1/events_pb";
import { isUuid } from "../uuid.js";

/** Every event message carries its id (UUID, the dedupe key) and when the fact happened. */
export type ShopEvent = Message & { eventId: string; occurTime?: Timestamp };

/** Thrown when bytes cannot be an event: unknown subject, malformed protobuf, missing event id. Poison. */
export class EventDecodeError extends Error {
  override readonly name = "EventDecodeError";
}

/** The event types a process knows, by subject (= full proto type name). */
export interface EventRegistry {
  /** The schema published on `subject`, if known. */
  get(subject: string): DescMessage | undefined;
  /** Every known subject. */
  subjects(): string[];
}

/**
 * Builds a registry from event schemas, checking that each really is an event (has `event_id` and
 * `occur_time`). Why a registry: a consumer receives bytes and a subject, and needs the schema to
 * decode them; an operator tool needs it to show a dead letter as JSON.
 */
export function createEventRegistry(schemas: Iterable<DescMessage>): EventRegistry {
  const bySubject = new Map<string, DescMessage>();
  for (const schema of schemas) {
    const id = schema.fields.find((field) => field.name === "event_id");
    const time = schema.fields.find((field) => field.name === "occur_time");
    if (id?.fieldKind !== "scalar" || time?.fieldKind !== "message") {
      throw new TypeError(`${schema.typeName} is not an event: it needs string event_id and occur_time`);
    }
    bySubject.set(schema.typeName, schema);
  }
  return {
    get: (subject) => bySubject.get(subject),
    subjects: () => [...bySubject.keys()].sort(),
  };
}

const shopEventFiles: readonly GenFile[] = [
  file_shop_user_v1_events,
  file_shop_product_v1_events,
  file_shop_inventory_v1_events,
  file_shop_cart_v1_events,
  file_shop_order_v1_events,
  file_shop_payment_v1_events,
  file_shop_notification_v1_events,
];

/** Every event declared in `proto/shop/<domain>/v1/events.proto`. */
export const shopEventRegistry: EventRegistry = createEventRegistry(
  shopEventFiles.flatMap((file) => file.messages),
);

/**
 * Creates an event with a fresh UUID `event_id` and `occur_time` = now, unless the caller gives them.
 * Why: every publisher needs both, and forgetting the id would break dedupe downstream.
 */
export function createEvent<Desc extends DescMessage>(
  schema: Desc,
  init: MessageInitShape<Desc>,
): MessageShape<Desc> & ShopEvent {
  const event = create(schema, init) as MessageShape<Desc> & ShopEvent;
  if (!event.eventId) event.eventId = randomUUID();
  event.occurTime ??= timestampNow();
  return event;
}

/** An event ready for the wire. */
export interface EncodedEvent {
  readonly eventId: string;
  /** Logical subject: the full proto type name, e.g. `shop.order.v1.OrderPlaced`. */
  readonly subject: string;
  readonly payload: Uint8Array;
}

/**
 * Encodes an event as protobuf binary with its subject. Throws TypeError for an unknown type or a
 * missing / non-UUID event id: that is a bug in the publisher, and it must fail inside the business
 * transaction rather than poison every consumer later.
 */
export function encodeEvent(event: ShopEvent, registry: EventRegistry = shopEventRegistry): EncodedEvent {
  const schema = registry.get(event.$typeName);
  if (!schema) throw new TypeError(`${event.$typeName} is not a known event type`);
  if (!isUuid(event.eventId)) {
    throw new TypeError(`${event.$typeName}.event_id must be a UUID, got "${event.eventId}"`);
  }
  return { eventId: event.eventId, subject: schema.typeName, payload: toBinary(schema, event) };
}

/** A decoded event with its schema, so callers can switch on the type. */
export interface DecodedEvent {
  readonly schema: DescMessage;
  readonly event: ShopEvent;
}

/**
 * Decodes the payload of `subject` (logical, without namespace). Throws EventDecodeError when the
 * subject is unknown, the bytes are not that message, or the event id is not a UUID: such a message
 * can never succeed, so consumers park it in the dead-letter stream at once.
 */
export function decodeEvent(
  subject: string,
  payload: Uint8Array,
  registry: EventRegistry = shopEventRegistry,
): DecodedEvent {
  const schema = registry.get(subject);
  if (!schema) throw new EventDecodeError(`no event type is registered for subject "${subject}"`);
  let event: ShopEvent;
  try {
    event = fromBinary(schema, payload) as ShopEvent;
  } catch (error) {
    throw new EventDecodeError(`malformed ${subject} payload: ${(error as Error).message}`);
  }
  if (!isUuid(event.eventId)) {
    throw new EventDecodeError(`${subject} payload has no valid event_id (got "${event.eventId}")`);
  }
  return { schema, event };
}

/** The event as proto3 JSON, for operators (dead-letter inspection) and logs of non-secret events. */
export function eventToJson(decoded: DecodedEvent): unknown {
  return toJson(decoded.schema, decoded.event);
}
