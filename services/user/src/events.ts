import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UserRegisteredSchema } from "@shop/gen/shop/user/v1/events_pb";
import { createEvent } from "@shop/platform/events/event-codec";
import { writeOutbox } from "@shop/platform/events/outbox";
import type { UserRow } from "./schema.js";
import type { UserTransaction } from "./store.js";

/**
 * Records `shop.user.v1.UserRegistered` for a new account in the registration's own transaction (the
 * transactional outbox), so the event exists exactly when the account does. The platform's relay
 * publishes it to JetStream. `traceparent` ties the event to the Register call's trace.
 */
export async function recordUserRegistered(
  tx: UserTransaction,
  user: UserRow,
  traceparent?: string,
): Promise<void> {
  const event = createEvent(UserRegisteredSchema, {
    occurTime: timestampFromDate(user.createTime),
    userId: user.id,
    email: user.email,
    name: user.name,
  });
  await writeOutbox(tx, event, traceparent ? { traceparent } : {});
}
