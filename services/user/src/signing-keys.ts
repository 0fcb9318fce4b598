import { randomUUID } from "node:crypto";
import { desc, isNull, or, sql } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { KeyEncryption } from "./key-encryption.js";
import { signingKeys } from "./schema.js";

export const signingAlgorithm = "ES256";

/** The key that signs tokens right now. */
export interface ActiveSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

export interface SigningKeys {
  /** Creates the first key when the database has none. Safe when several replicas start at once. */
  ensureActiveKey(): Promise<void>;
  /** The newest non-retired key, read from the database so a rotation by any replica takes effect. */
  activeKey(): Promise<ActiveSigningKey>;
  /** Retires the active key and creates a new one; returns the new `kid`. */
  rotate(): Promise<string>;
  /** Public JWKs of the active key and of retired keys whose tokens may still be unexpired. */
  publicKeys(): Promise<JWK[]>;
}

export interface SigningKeysOptions {
  readonly encryption: KeyEncryption;
  /** Lifetime of the tokens signed: how long a retired key's public half must still be served. */
  readonly tokenTtlMs: number;
}

/** Any constant shared by all replicas; serialises key creation and rotation. */
const keyLockId = 7_319_004_301;
/** Clock skew allowance on top of the token lifetime before a retired key is dropped. */
const retiredKeyGraceMs = 60_000;

/**
 * The user service's ES256 signing keys, persisted in its database.
 *
 * Why persisted: tokens must survive a restart and every replica must sign with keys the others
 * publish. Why rotation keeps old public keys: a token signed a minute before rotation is valid until
 * it expires, so its key stays in GetPublicKeys for the token lifetime (plus clock skew).
 */
export function createSigningKeys<TSchema extends Record<string, unknown>>(
  db: PostgresJsDatabase<TSchema>,
  options: SigningKeysOptions,
): SigningKeys {
  const imported = new Map<string, CryptoKey>();

  async function newKeyRow() {
    const { privateKey, publicKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
    const kid = randomUUID();
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: signingAlgorithm, use: "sig" };
    const privateJwk = JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: signingAlgorithm });
    return { kid, publicJwk, privateJwk: options.encryption.seal(privateJwk) };
  }

  /** Runs `work` in a transaction holding the key lock, so two replicas never create or rotate at once. */
  function locked<T>(
    work: (tx: Parameters<Parameters<typeof db.transaction>[0]>[0]) => Promise<T>,
  ): Promise<T> {
    return db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${keyLockId})`);
      return work(tx);
    });
  }

  return {
    async ensureActiveKey() {
      await locked(async (tx) => {
        const [active] = await tx
          .select({ kid: signingKeys.kid })
          .from(signingKeys)
          .where(isNull(signingKeys.retiredTime))
          .limit(1);
        if (!active) await tx.insert(signingKeys).values(await newKeyRow());
      });
    },

    async activeKey() {
      const [row] = await db
        .select({ kid: signingKeys.kid, privateJwk: signingKeys.privateJwk })
        .from(signingKeys)
        .where(isNull(signingKeys.retiredTime))
        .orderBy(desc(signingKeys.createTime))
        .limit(1);
      if (!row) throw new Error("no active signing key");
      let privateKey = imported.get(row.kid);
      if (!privateKey) {
        const jwk = JSON.parse(options.encryption.open(row.privateJwk)) as JWK;
        privateKey = (await importJWK(jwk, signingAlgorithm)) as CryptoKey;
        imported.set(row.kid, privateKey);
      }
      return { kid: row.kid, privateKey };
    },

    async rotate() {
      const row = await newKeyRow();
      await locked(async (tx) => {
        await tx.update(signingKeys).set({ retiredTime: sql`now()` }).where(isNull(signingKeys.retiredTime));
        await tx.insert(signingKeys).values(row);
      });
      return row.kid;
    },

    async publicKeys() {
      const keepMs = options.tokenTtlMs + retiredKeyGraceMs;
      const rows = await db
        .select({ publicJwk: signingKeys.publicJwk })
        .from(signingKeys)
        .where(
          or(
            isNull(signingKeys.retiredTime),
            sql`${signingKeys.retiredTime} > now() - make_interval(secs => ${keepMs / 1000})`,
          ),
        )
        .orderBy(desc(signingKeys.createTime));
      return rows.map((row) => row.publicJwk);
    },
  };
}
