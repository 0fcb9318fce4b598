import { createPageTokenCodec, timeAndIdFields } from "@shop/platform/page-token";

/** A place in the listing (newest first): the last notification of the previous page. */
export interface ListPosition {
  readonly createTime: Date;
  readonly id: string;
}

const codec = createPageTokenCodec<ListPosition>({
  purpose: "shop.notification.v1.page-token",
  version: 1,
  ...timeAndIdFields,
});

/**
 * Makes the opaque `next_page_token` for a listing that ended at `position`.
 *
 * The token holds no user id: the listing is always filtered by the caller's verified identity, so a
 * token passed to someone else can only page through that person's own notifications.
 */
export function encodePageToken(position: ListPosition): string {
  return codec.encode(position);
}

/** Reads a `page_token` back into a position; INVALID_ARGUMENT naming `page_token` when it is not intact. */
export function decodePageToken(token: string): ListPosition {
  return codec.decode(token);
}
