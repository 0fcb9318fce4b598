/**
 * Whether `error` (or an error in its `cause` chain: drizzle wraps the driver's error) is Postgres's
 * unique violation (SQLSTATE 23505) of `constraint`. Why by constraint name: a table with several
 * unique constraints means different things by each (a replayed request, a taken email, a cart
 * already ordered), and only the caller knows which it can answer.
 */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    const fields = current as Error & { code?: unknown; constraint_name?: unknown };
    if (fields.code === "23505") return fields.constraint_name === constraint;
  }
  return false;
}
