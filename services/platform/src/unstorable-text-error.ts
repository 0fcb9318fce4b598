/**
 * SQLSTATEs of text Postgres cannot hold: 22021 `character_not_in_repertoire` ("invalid byte sequence
 * for encoding UTF8: 0x00", what a NUL in a parameter gives) and 22P05 `untranslatable_character`.
 */
const unstorableTextCodes: ReadonlySet<unknown> = new Set(["22021", "22P05"]);

/** Deeper than any real wrapping (drizzle adds one level, a transaction none); stops a cause cycle. */
const maxCauseDepth = 8;

/**
 * Whether `error` is Postgres refusing text a caller sent: the postgres.js `PostgresError` itself or,
 * as drizzle-orm 0.45 throws it, the `cause` of a `DrizzleQueryError` (whose own `code` is undefined).
 *
 * Why: services reject such text when they validate it (see control-characters.ts), but a field a
 * service forgot to check must still answer the caller's mistake with InvalidArgument, not Internal.
 * Only the driver's error counts (name `PostgresError`), so another error's `code` cannot match.
 */
export function isUnstorableTextError(error: unknown): boolean {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < maxCauseDepth; depth++) {
    if (current.name === "PostgresError")
      return unstorableTextCodes.has((current as { code?: unknown }).code);
    current = current.cause;
  }
  return false;
}
