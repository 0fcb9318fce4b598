const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its 36-character hyphenated form (any version, either case). */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/**
 * The canonical (lower-case) form of a UUID, or undefined when `value` is not one.
 *
 * Why: ids are UUIDs stored in lower case (Postgres prints `uuid` that way), but callers may send
 * them in upper case. A service that looks an id up, or uses it as a key, must canonicalise it the
 * same way on every RPC, or one call finds what another cannot.
 */
export function canonicalUuid(value: string): string | undefined {
  return isUuid(value) ? value.toLowerCase() : undefined;
}
