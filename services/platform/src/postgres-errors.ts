/**
 * SQLSTATEs of text Postgres cannot hold: 22021 `character_not_in_repertoire` ("invalid byte sequence
 * for encoding UTF8: 0x00", what a NUL in a parameter gives) and 22P05 `untranslatable_character`.
 */
const unstorableTextCodes: ReadonlySet<string> = new Set(["22021", "22P05"]);

/** Deeper than any real wrapping (drizzle adds one level, a transaction none); stops a cause cycle. */
const maxCauseDepth = 8;

interface PostgresErrorFields {
  readonly code?: unknown;
  readonly constraint_name?: unknown;
}

/**
 * The postgres.js `PostgresError` behind `error`: the error itself or, as drizzle-orm 0.45 throws it,
 * the `cause` of a `DrizzleQueryError` (whose own `code` is undefined). Only the driver's error
 * counts (name `PostgresError`), so another library's `code` field cannot match.
 */
function postgresErrorOf(error: unknown): PostgresErrorFields | undefined {
  let current = error;
  for (let depth = 0; current instanceof Error && depth < maxCauseDepth; depth++) {
    if (current.name === "PostgresError") return current as PostgresErrorFields;
    current = current.cause;
  }
  return undefined;
}

/**
 * Whether `error` is Postgres's unique violation (SQLSTATE 23505) of `constraint`. Why by constraint
 * name: a table with several unique constraints means different things by each (a replayed request,
 * a taken email, a cart already ordered), and only the caller knows which it can answer.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const postgres = postgresErrorOf(error);
  return postgres?.code === "23505" && postgres.constraint_name === constraint;
}

/**
 * Whether `error` is Postgres refusing text a caller sent (SQLSTATE 22021 / 22P05).
 *
 * Why: services reject such text when they validate it (see control-characters.ts), but a field a
 * service forgot to check must still answer the caller's mistake with InvalidArgument, not Internal.
 */
export function isUnstorableTextError(error: unknown): boolean {
  const code = postgresErrorOf(error)?.code;
  return typeof code === "string" && unstorableTextCodes.has(code);
}
