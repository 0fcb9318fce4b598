import { createPageTokenCodec, timeAndIdFields } from "@shop/platform/page-token";
import type { ListCursor } from "./store/order-store.js";

const codec = createPageTokenCodec({
  purpose: "shop.order.v1.page-token",
  version: 1,
  ...timeAndIdFields,
});

/**
 * Makes the opaque `next_page_token` of a page that ended at `cursor`, with the platform's
 * checksummed page-token scheme, as products and notifications use.
 *
 * The token holds no user id and no query: ListOrders is always filtered by the caller's verified
 * identity and has no filter to bind to, so a token passed to someone else can only page through
 * that person's own orders.
 */
export function encodePageToken(cursor: ListCursor): string {
  return codec.encode({ createTime: cursor.createdAt, id: cursor.id });
}

/**
 * The cursor a `page_token` holds; undefined for the empty token of the first page. A token that is
 * not intact, or whose position is no time both order stores can compare with (see the platform's
 * `positionTimeRange`) or no UUID, is INVALID_ARGUMENT naming `page_token`, as the proto says.
 */
export function decodePageToken(token: string): ListCursor | undefined {
  if (token === "") return undefined;
  const { createTime, id } = codec.decode(token);
  return { createdAt: createTime, id };
}
