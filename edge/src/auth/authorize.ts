import { Code, ConnectError } from "@connectrpc/connect";
import type { AccessPolicy } from "@shop/platform/auth/access-rule";
import type { Identity, TokenVerifier } from "./token-verifier.js";

/**
 * Applies a method's access policy before any upstream call: public methods pass (a token, if sent,
 * is still verified, so a bad one is 401 rather than silently anonymous); every other method needs a
 * valid bearer token (401), and the token must carry every listed role (403). Returns the verified
 * identity, if any. Ownership is not checked here: the service does that from the forwarded token.
 */
export async function authorize(
  policy: AccessPolicy,
  authorization: string | undefined,
  verifier: TokenVerifier,
): Promise<Identity | undefined> {
  const token = bearerToken(authorization);
  if (token === undefined) {
    if (policy.kind === "public") return undefined;
    throw new ConnectError(
      "a valid bearer token is required (Authorization: Bearer <accessToken>)",
      Code.Unauthenticated,
    );
  }
  if (token === "")
    throw new ConnectError('the Authorization header must be "Bearer <accessToken>"', Code.Unauthenticated);
  let identity: Identity;
  try {
    identity = await verifier.verify(token);
  } catch (error) {
    const connectError = ConnectError.from(error);
    // Unavailable (keys cannot be fetched) stays a 503; every other failure is the token's fault.
    if (connectError.code === Code.Unavailable || connectError.code === Code.Unauthenticated)
      throw connectError;
    throw new ConnectError("the access token is invalid", Code.Unauthenticated, undefined, undefined, error);
  }
  const missing = policy.roles.filter((role) => !identity.roles.includes(role));
  if (missing.length > 0) {
    throw new ConnectError(`this operation needs the role(s): ${missing.join(", ")}`, Code.PermissionDenied);
  }
  return identity;
}

/**
 * True when `authorize` would admit the call at once as anonymous: a public method called without a
 * token. Lets the caller skip awaiting `authorize` for the commonest request, a catalog read.
 */
export function admitsAnonymously(policy: AccessPolicy, authorization: string | undefined): boolean {
  return policy.kind === "public" && bearerToken(authorization) === undefined;
}

/** The token of an `Authorization: Bearer <token>` header: undefined when absent, "" when malformed. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? "";
}
