import { SignJWT } from "jose";
import { type SigningKeys, signingAlgorithm } from "./signing-keys.js";

export interface AccessTokenOptions {
  readonly keys: SigningKeys;
  readonly issuer: string;
  readonly audience: string;
  readonly ttlMs: number;
}

/** The account facts a token asserts. */
export interface TokenSubject {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly string[];
}

export interface IssuedToken {
  readonly token: string;
  /** Seconds until `exp`. */
  readonly expiresIn: number;
}

/**
 * Mints the mesh's access tokens: ES256 JWTs with `sub`, `email`, `roles`, `iss`, `aud`, `iat`, `exp`
 * and the signing key's `kid` in the header.
 *
 * Why these claims: every service authorises from the token alone (identity and roles) without calling
 * the user service, and `kid` lets verifiers pick the right key across rotations.
 */
export function createAccessTokenIssuer(options: AccessTokenOptions) {
  const ttlSeconds = Math.max(1, Math.floor(options.ttlMs / 1000));
  return {
    async issue(subject: TokenSubject): Promise<IssuedToken> {
      const key = await options.keys.activeKey();
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ email: subject.email, roles: [...subject.roles] })
        .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: "JWT" })
        .setSubject(subject.id)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(key.privateKey);
      return { token, expiresIn: ttlSeconds };
    },
  };
}

export type AccessTokenIssuer = ReturnType<typeof createAccessTokenIssuer>;
