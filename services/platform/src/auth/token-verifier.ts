import { Code, ConnectError } from "@connectrpc/connect";
import { errors, type JWTPayload, jwtVerify } from "jose";
import type { Identity } from "./identity.js";
import { type KeySet, KeysUnavailableError, UnknownKeyError } from "./key-set.js";

/** The only signing algorithm the mesh accepts; `none`, HMAC and RSA tokens are all refused. */
export const accessTokenAlgorithm = "ES256";

export interface TokenVerifierOptions {
  /** Where the public keys come from (see {@link createKeySet}). */
  readonly keys: KeySet;
  /** Expected `iss` claim: the user service's issuer name. */
  readonly issuer: string;
  /** Expected `aud` claim: the audience the user service mints tokens for. */
  readonly audience: string;
  /** Allowed clock skew between hosts for `exp`, `iat` and `nbf`. Default five seconds. */
  readonly clockToleranceSeconds?: number;
}

/** Turns a bearer token into the caller's {@link Identity}, or refuses it. */
export interface TokenVerifier {
  /**
   * Resolves to the identity the token proves, or rejects with a ConnectError: Unauthenticated for any
   * bad token, Unavailable when the public keys cannot be fetched at all.
   */
  verify(token: string): Promise<Identity>;
}

/**
 * Verifies access tokens issued by the user service: an ES256 signature by one of its published
 * keys, then `exp`, `iss` and `aud`, then the identity claims (`sub`, `email`, `roles`).
 *
 * Why one verifier for the whole mesh: the edge and every service must accept exactly the same
 * tokens, or a direct gRPC call would get more (or less) than the edge allows. Error messages say what
 * is wrong with the token in terms the caller can act on, and never echo key material or internals.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: [accessTokenAlgorithm],
    requiredClaims: ["exp", "sub"],
    clockTolerance: options.clockToleranceSeconds ?? 5,
  };
  const getKey = options.keys.getKey;
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, verifyOptions));
      } catch (error) {
        throw toConnectError(error);
      }
      return identityFrom(payload);
    },
  };
}

function identityFrom(payload: JWTPayload): Identity {
  const { sub, email, roles } = payload;
  if (typeof sub !== "string" || sub === "") throw unauthenticated("access token has no subject");
  if (typeof email !== "string") throw unauthenticated("access token has no email claim");
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === "string")) {
    throw unauthenticated("access token has no valid roles claim");
  }
  return Object.freeze({ userId: sub, email, roles: Object.freeze([...roles]) });
}

function toConnectError(error: unknown): ConnectError {
  if (error instanceof KeysUnavailableError) {
    return new ConnectError("access tokens cannot be verified right now", Code.Unavailable);
  }
  if (error instanceof UnknownKeyError) return unauthenticated("access token is signed by an unknown key");
  if (error instanceof errors.JWTExpired) return unauthenticated("access token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "iss":
        return unauthenticated("access token has the wrong issuer");
      case "aud":
        return unauthenticated("access token has the wrong audience");
      case "nbf":
        return unauthenticated("access token is not valid yet");
      default:
        return unauthenticated(`access token has an invalid ${error.claim} claim`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return unauthenticated("access token uses a refused algorithm");
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return unauthenticated("access token signature is invalid");
  }
  return unauthenticated("access token is malformed");
}

function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated);
}
