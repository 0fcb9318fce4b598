import type { Logger } from "@shop/platform/log";
import { createPostgres } from "@shop/platform/postgres";
import type { UserConfig } from "./config.js";
import { createKeyEncryption } from "./key-encryption.js";
import { createSigningKeys } from "./signing-keys.js";

export interface RotatedKey {
  /** The key that signs from now on. */
  readonly kid: string;
  /** The key it replaced; its public half stays published for the token lifetime plus a minute. */
  readonly retiredKid: string;
}

/**
 * Rotates the user service's signing key in its database, for the operator command
 * (`npm run user:rotate-key`): every replica signs its next Login with the new key, since each Login
 * reads the active key from the database, and tokens signed before stay valid until they expire.
 *
 * Why from the database and not an RPC: a rotation is an operator's act (a suspected leak, a
 * schedule), and an RPC that mints signing keys would be one more thing to guard on the network.
 * The active key is opened first, so a run without the `SIGNING_KEY_ENCRYPTION_KEY` the stored keys
 * are sealed with fails before it writes a new key unencrypted beside them.
 */
export async function rotateSigningKeyInDatabase(config: UserConfig, logger: Logger): Promise<RotatedKey> {
  const pg = createPostgres({ url: config.DATABASE_URL, logger, max: 1 });
  try {
    const encryptionKey = config.SIGNING_KEY_ENCRYPTION_KEY;
    const keys = createSigningKeys(pg.db, {
      encryption: createKeyEncryption(encryptionKey ? Buffer.from(encryptionKey, "base64") : undefined),
      tokenTtlMs: config.ACCESS_TOKEN_TTL_MS,
    });
    const retired = await keys.activeKey();
    const kid = await keys.rotate();
    return { kid, retiredKid: retired.kid };
  } finally {
    await pg.close();
  }
}
