import { Code, ConnectError, createContextKey, type HandlerContext } from "@connectrpc/connect";

/** The verified caller of an RPC, taken from a signed access token, never from the request body. */
export interface Identity {
  /** The user id (the token's `sub`). */
  readonly userId: string;
  readonly email: string;
  readonly roles: readonly string[];
}

/**
 * Where the auth interceptor leaves the verified identity for handlers. Handlers read it with
 * {@link requireIdentity}, so ownership checks ("only your own cart") use who the caller really is.
 */
export const identityKey = createContextKey<Identity | undefined>(undefined, {
  description: "verified caller",
});

/** The caller's identity, or Unauthenticated when the call carried no valid token. */
export function requireIdentity(context: Pick<HandlerContext, "values">): Identity {
  const identity = context.values.get(identityKey);
  if (!identity) throw new ConnectError("a valid bearer token is required", Code.Unauthenticated);
  return identity;
}

/** The caller's identity when a token was sent (public methods may be called anonymously). */
export function optionalIdentity(context: Pick<HandlerContext, "values">): Identity | undefined {
  return context.values.get(identityKey);
}
