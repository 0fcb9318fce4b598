import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  ListNotificationsResponseSchema,
  type NotificationService,
} from "@shop/gen/shop/notification/v1/notification_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { resolvePageSize } from "@shop/platform/page-size";
import { toNotificationProto } from "./notification-proto.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import type { NotificationStore } from "./store.js";

/**
 * The NotificationService RPCs. The owner is always the verified caller (never a request field), so
 * no one can list someone else's notifications, over the edge or by a direct gRPC call.
 */
export function createNotificationHandlers(
  store: NotificationStore,
): ServiceImpl<typeof NotificationService> {
  return {
    async listNotifications(request, context) {
      const { userId } = requireIdentity(context);
      const limit = resolvePageSize(request.pageSize);
      const after = request.pageToken === "" ? undefined : decodePageToken(request.pageToken);
      // One extra row tells whether another page follows, so the last page has no token.
      const rows = await store.listForUser(userId, { ...(after ? { after } : {}), limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return create(ListNotificationsResponseSchema, {
        notifications: page.map(toNotificationProto),
        nextPageToken:
          rows.length > limit && last ? encodePageToken({ createTime: last.createTime, id: last.id }) : "",
      });
    },
  };
}
