import { createHash } from "node:crypto";
import { invalidArgument } from "./invalid-argument.js";
import { canonicalUuid } from "./uuid.js";

/** How one listing turns its position into token fields and back. */
export interface PageTokenFormat<P> {
  /**
   * Names the listing (`shop.product.v1.page-token`) and salts the checksum with it, so a token of one
   * listing never passes as a token of another.
   */
  readonly purpose: string;
  /** Bumped when the fields change: tokens of another version are refused. */
  readonly version: number;
  /** The position as JSON fields (`v` and `q` are the codec's own). */
  toFields(position: P): Record<string, string | number>;
  /** The position back from its fields, or undefined when they are not a valid position. */
  fromFields(fields: Readonly<Record<string, unknown>>): P | undefined;
}

/** Encodes and decodes one listing's `page_token`s. */
export interface PageTokenCodec<P> {
  /** The opaque `next_page_token` of a page that ended at `position` (under `query`, when bound). */
  encode(position: P, query?: string): string;
  /**
   * The position a `page_token` holds. Throws INVALID_ARGUMENT naming `page_token` when the token
   * is not intact, is of another version, or was issued for another `query`.
   */
  decode(token: string, query?: string): P;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}

/**
 * Creates the page-token codec of a listing: base64url JSON of the position, a checksum, and with a
 * query a fingerprint of it.
 *
 * Why opaque and checksummed: callers must not build or edit positions (the format may change), and
 * a corrupted or hand-edited token must fail with INVALID_ARGUMENT instead of silently listing from a
 * wrong place. The checksum is integrity, not secrecy: a listing must still filter by what the caller
 * may see. The query fingerprint keeps a token from being replayed against a different filter, and
 * keeps the query text itself out of the token.
 */
export function createPageTokenCodec<P>(format: PageTokenFormat<P>): PageTokenCodec<P> {
  const checksum = (body: string) => digest(`${format.purpose}:${body}`);
  return {
    encode(position, query) {
      const payload = {
        v: format.version,
        ...(query === undefined ? {} : { q: digest(query) }),
        ...format.toFields(position),
      };
      const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
      return `${body}.${checksum(body)}`;
    },
    decode(token, query) {
      const [body, sum, ...rest] = token.split(".");
      if (!body || !sum || rest.length > 0 || checksum(body) !== sum) {
        throw invalidArgument(
          "page_token",
          "is malformed or was modified; pass next_page_token from a previous response unchanged",
        );
      }
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      } catch {
        throw invalidArgument("page_token", "is malformed");
      }
      const fields =
        payload !== null && typeof payload === "object" ? (payload as Record<string, unknown>) : undefined;
      const position = fields?.v === format.version ? format.fromFields(fields) : undefined;
      if (fields === undefined || position === undefined) {
        throw invalidArgument("page_token", "is malformed or from an incompatible version");
      }
      if (fields.q !== (query === undefined ? undefined : digest(query))) {
        throw invalidArgument(
          "page_token",
          "was issued for a different query; send the same query as the request that returned it",
        );
      }
      return position;
    },
  };
}

/** The keyset position of a newest-first listing: the create time and id of the last row returned. */
export interface TimeAndIdPosition {
  readonly createTime: Date;
  readonly id: string;
}

/**
 * The create times a position may hold: 0001-01-01 to 9999-12-31 (UTC), the years ISO 8601 writes
 * with four digits. Why bounded: the checksum keeps out accidents, not someone who knows the scheme,
 * and a time outside this range is either no Date at all (beyond ±8.64e15 ms) or serialises as an
 * expanded year (`+275760-…`, `-004368-…`) that Postgres cannot parse, which turned a forged token
 * into INTERNAL instead of INVALID_ARGUMENT. No row is ever created outside it.
 */
export const positionTimeRange = {
  min: Date.parse("0001-01-01T00:00:00.000Z"),
  max: Date.parse("9999-12-31T23:59:59.999Z"),
} as const;

/**
 * Token fields of a {@link TimeAndIdPosition} (`t`: epoch milliseconds within
 * {@link positionTimeRange}, `id`: a lower-case UUID), to spread into a {@link PageTokenFormat}.
 * Why shared: listings ordered by (create_time, id) are the common case, and the time must
 * round-trip to the millisecond, be one every store can compare with, and the id be a real UUID
 * before it reaches a query.
 */
export const timeAndIdFields = {
  toFields: (position: TimeAndIdPosition) => ({ t: position.createTime.getTime(), id: position.id }),
  fromFields(fields: Readonly<Record<string, unknown>>): TimeAndIdPosition | undefined {
    const { t, id } = fields;
    if (
      typeof t !== "number" ||
      !Number.isSafeInteger(t) ||
      t < positionTimeRange.min ||
      t > positionTimeRange.max ||
      typeof id !== "string" ||
      // Only the lower-case form the token was issued with: a position id is never re-canonicalised.
      canonicalUuid(id) !== id
    ) {
      return undefined;
    }
    return { createTime: new Date(t), id };
  },
};
