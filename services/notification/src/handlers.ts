import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  ListNotificationsResponseSchema,
  type NotificationService,
} from "@shop/gen/shop/notification/v1/notification_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { toNotificationProto } from "./notification-proto.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import type { NotificationStore } from "./store.js";

/** Page size when the caller asks for none (0), and the most one page may hold. */
export const pageSizeLimits = { default: 20, max: 100 } as const;

/**
 * The page size the proto promises: 0 → 20, above 100 → 100, negative → INVALID_ARGUMENT naming the
 * field. Exported for its unit test.
 */
export function effectivePageSize(requested: number): number {
  if (requested < 0) {
    throw new ConnectError(`page_size must not be negative (got ${requested})`, Code.InvalidArgument);
  }
  if (requested === 0) return pageSizeLimits.default;
  return Math.min(requested, pageSizeLimits.max);
}

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
      const limit = effectivePageSize(request.pageSize);
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
