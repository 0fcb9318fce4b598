import type { PasswordHasher } from "./passwords.js";
import type { UserRow } from "./schema.js";
import type { UserStore } from "./store.js";
import { validateRegistration } from "./validation.js";

export const adminRole = "admin";

/**
 * Makes sure the operator's admin account exists and holds the `admin` role: creates it with the
 * given password, or promotes an existing account (whose password is left as it is).
 *
 * Why at start-up from config: admin accounts are provisioned by operators, never by Register, and a
 * fresh local run needs one to create products. The credentials go through the same rules as
 * Register, so a weak seed password fails the start instead of creating a weak admin.
 */
export async function ensureAdmin(
  deps: { store: UserStore; hasher: PasswordHasher },
  email: string,
  password: string,
): Promise<UserRow> {
  const admin = validateRegistration({ email, password, name: "Administrator" });
  const passwordHash = await deps.hasher.hash(admin.password);
  return deps.store.grantRoleOrCreate({ email: admin.email, name: admin.name, passwordHash }, adminRole);
}
