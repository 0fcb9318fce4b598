import { randomUUID } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { createKeySet, type KeySet } from "./key-set.js";
import { accessTokenAlgorithm, createTokenVerifier, type TokenVerifier } from "./token-verifier.js";

/** Claims a test token carries; roles default to none, like a freshly registered account. */
export interface TestTokenClaims {
  readonly userId: string;
  readonly email: string;
  readonly roles?: readonly string[];
}

export interface TestSignOptions {
  /** Lifetime in seconds; negative makes an already expired token. Default one hour. */
  readonly expiresInSeconds?: number;
  readonly issuer?: string;
  readonly audience?: string;
}

export interface TestTokenIssuer {
  readonly issuer: string;
  readonly audience: string;
  /** `kid` of the key that signs now. */
  readonly currentKid: string;
  /** An ES256 access token shaped exactly like the user service's. */
  sign(claims: TestTokenClaims, options?: TestSignOptions): Promise<string>;
  /** Switches to a fresh key pair; the old public key stays published, like a real rotation. */
  rotate(): Promise<void>;
  /** The published public keys, usable as a key set's `fetchKeys`. */
  fetchKeys(): Promise<readonly JWK[]>;
  /** A key set and verifier over this issuer's keys, with the mesh's real verification rules. */
  readonly keySet: KeySet;
  readonly verifier: TokenVerifier;
}

export interface TestTokenIssuerOptions {
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Mints real ES256 access tokens for tests of any service, so a test can call an authenticated RPC
 * as "a user" or "an admin" without running the user service, and still go through the same
 * signature and claim checks as production.
 */
export async function createTestTokenIssuer(options: TestTokenIssuerOptions = {}): Promise<TestTokenIssuer> {
  const issuer = options.issuer ?? "test-issuer";
  const audience = options.audience ?? "test-audience";
  const published: JWK[] = [];
  let signing: { kid: string; key: CryptoKey };

  async function newKey(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(accessTokenAlgorithm);
    const kid = randomUUID();
    published.push({ ...(await exportJWK(publicKey)), kid, alg: accessTokenAlgorithm, use: "sig" });
    signing = { kid, key: privateKey };
  }
  await newKey();

  const fetchKeys = async () => published.map((jwk) => ({ ...jwk }));
  const keySet = createKeySet({ fetchKeys, minRefreshIntervalMs: 0 });
  return {
    issuer,
    audience,
    get currentKid() {
      return signing.kid;
    },
    sign(claims, signOptions = {}) {
      const nowSeconds = Math.floor(Date.now() / 1000);
      return new SignJWT({ email: claims.email, roles: [...(claims.roles ?? [])] })
        .setProtectedHeader({ alg: accessTokenAlgorithm, kid: signing.kid, typ: "JWT" })
        .setSubject(claims.userId)
        .setIssuer(signOptions.issuer ?? issuer)
        .setAudience(signOptions.audience ?? audience)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + (signOptions.expiresInSeconds ?? 3600))
        .sign(signing.key);
    },
    rotate: newKey,
    fetchKeys,
    keySet,
    verifier: createTokenVerifier({ keys: keySet, issuer, audience }),
  };
}
