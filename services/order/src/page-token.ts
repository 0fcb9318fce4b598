import type { ListCursor } from "./store/order-store.js";
import { invalidArgument, isUuid } from "./validation.js";

/**
 * Encodes the last order of a page as an opaque token (base64url JSON of create time and id), so the
 * next page starts strictly after it even when orders share a create time.
 */
export function encodePageToken(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.getTime(), i: cursor.id })).toString("base64url");
}

/** Decodes a page token; a malformed one is InvalidArgument, as the proto says. */
export function decodePageToken(token: string): ListCursor | undefined {
  if (token === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (parsed && typeof parsed === "object" && "t" in parsed && "i" in parsed) {
      const { t, i } = parsed as { t: unknown; i: unknown };
      if (typeof t === "number" && Number.isSafeInteger(t) && typeof i === "string" && isUuid(i)) {
        return { createdAt: new Date(t), id: i };
      }
    }
  } catch {
    // fall through to the error below
  }
  throw invalidArgument("page_token", "is malformed; pass a next_page_token from a previous response");
}
