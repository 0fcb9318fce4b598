import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Notification,
  NotificationKind,
  NotificationSchema,
} from "@shop/gen/shop/notification/v1/notification_pb";
import type { NotificationKindName, NotificationRow } from "./schema.js";

/** Stored kind → proto enum; `satisfies` makes a new stored kind without a proto value a type error. */
export const kindToProto = {
  ORDER_CONFIRMED: NotificationKind.ORDER_CONFIRMED,
  ORDER_CANCELLED: NotificationKind.ORDER_CANCELLED,
} as const satisfies Record<NotificationKindName, NotificationKind>;

/** A stored notification as the API returns it. */
export function toNotificationProto(row: NotificationRow): Notification {
  return create(NotificationSchema, {
    id: row.id,
    userId: row.userId,
    orderId: row.orderId,
    kind: kindToProto[row.kind],
    message: row.message,
    createTime: timestampFromDate(row.createTime),
  });
}
