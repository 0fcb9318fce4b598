import { type CryptoKey, importJWK, type JWK, type JWSHeaderParameters } from "jose";

/** Public signing keys as JSON Web Keys (no private members), the shape of a JWKS document's `keys`. */
export type PublicKeyFetcher = () => Promise<readonly JWK[]>;

export interface KeySetOptions {
  /**
   * Returns the keys that currently verify tokens. The user service passes a function that reads its
   * own store; every other service passes {@link createRemoteKeySource}; tests pass a local issuer's keys.
   */
  readonly fetchKeys: PublicKeyFetcher;
  /** Keys older than this are refetched before the next verification. Default five minutes. */
  readonly maxAgeMs?: number;
  /**
   * A token with an unknown `kid` triggers a refetch at most this often, so a flood of forged tokens
   * cannot turn into a flood of key fetches. Default ten seconds.
   */
  readonly minRefreshIntervalMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** Thrown when no key matches a token's `kid`, even after a refetch. Callers answer Unauthenticated. */
export class UnknownKeyError extends Error {
  override readonly name = "UnknownKeyError";
}

/** Thrown when the keys cannot be fetched and none are cached. Callers answer Unavailable. */
export class KeysUnavailableError extends Error {
  override readonly name = "KeysUnavailableError";
}

/** The cached public keys, and a key resolver that jose's `jwtVerify` calls for every token. */
export interface KeySet {
  /** The verification key for a token's protected header (jose's `JWTVerifyGetKey`). */
  getKey(header: JWSHeaderParameters): Promise<CryptoKey>;
  /** Fetches the keys now, e.g. at start-up so the first request does not pay for it. */
  refresh(): Promise<void>;
}

const defaultMaxAgeMs = 5 * 60_000;
const defaultMinRefreshIntervalMs = 10_000;

/**
 * A rotation-safe cache of the user service's public keys.
 *
 * Why: every service verifies every token locally, so asking the user service per call would make it
 * a single point of failure and a bottleneck. Keys are cached, refetched when they are older than
 * `maxAgeMs`, and refetched early when a token names a `kid` we have not seen — which is what happens
 * right after the user service rotates its signing key. That early refetch is rate-limited. When a
 * refetch fails, the keys we already have keep working until the user service answers again.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  const maxAgeMs = options.maxAgeMs ?? defaultMaxAgeMs;
  const minRefreshIntervalMs = options.minRefreshIntervalMs ?? defaultMinRefreshIntervalMs;
  const now = options.now ?? Date.now;
  let keys: Map<string, CryptoKey> | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;

  async function load(): Promise<void> {
    attemptedAt = now();
    const jwks = await options.fetchKeys();
    const next = new Map<string, CryptoKey>();
    for (const jwk of jwks) {
      if (!jwk.kid || jwk.use === "enc") continue;
      // A key we cannot import (unknown curve, garbage) is skipped rather than poisoning the whole set.
      const key = await importJWK(jwk, jwk.alg ?? "ES256").catch(() => undefined);
      if (key && !(key instanceof Uint8Array)) next.set(jwk.kid, key);
    }
    keys = next;
    fetchedAt = now();
  }

  /** One fetch at a time: concurrent callers share the same promise. */
  function refresh(): Promise<void> {
    inflight ??= load().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function refreshTolerant(): Promise<void> {
    try {
      await refresh();
    } catch (error) {
      if (keys === undefined) {
        throw new KeysUnavailableError("public signing keys are unavailable", { cause: error });
      }
      // Stale keys are better than none: keep verifying with them until the source recovers.
    }
  }

  return {
    refresh,
    async getKey(header) {
      const stale = keys === undefined || now() - fetchedAt > maxAgeMs;
      if (stale && (inflight !== undefined || now() - attemptedAt >= minRefreshIntervalMs)) {
        await refreshTolerant();
      }
      if (keys === undefined) throw new KeysUnavailableError("public signing keys are unavailable");
      const kid = header.kid;
      if (!kid) throw new UnknownKeyError("token header has no kid");
      let key = keys?.get(kid);
      if (!key && now() - attemptedAt >= minRefreshIntervalMs) {
        await refreshTolerant();
        key = keys?.get(kid);
      }
      if (!key) throw new UnknownKeyError(`no public key with kid ${kid}`);
      return key;
    },
  };
}
