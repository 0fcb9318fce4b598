import { createPageTokenCodec, timeAndIdFields } from "@shop/platform/page-token";
import type { ListPosition } from "./store.js";

const codec = createPageTokenCodec<ListPosition>({
  purpose: "shop.product.v1.page-token",
  version: 1,
  ...timeAndIdFields,
});

/**
 * Makes the opaque `next_page_token` for a listing that ended at `position` under `query`. A position
 * in a public catalog is not a secret, so a forged but well-formed token can only ask for data anyone
 * may read; the query's fingerprint keeps a token from paging through a different search.
 */
export function encodePageToken(query: string, position: ListPosition): string {
  return codec.encode(position, query);
}

/**
 * Reads a `page_token` back into a position, checking that it is intact and was issued for the same
 * `query`. Throws INVALID_ARGUMENT naming `page_token` otherwise.
 */
export function decodePageToken(token: string, query: string): ListPosition {
  return codec.decode(token, query);
}
