import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { requestHeaderValue } from "../server/fast-handler-context.js";
import { accessPolicyOf } from "./access-rule.js";
import { type Identity, identityKey } from "./identity.js";
import type { TokenVerifier } from "./token-verifier.js";

export interface AuthInterceptorOptions {
  readonly verifier: TokenVerifier;
}

/**
 * A server-side Connect interceptor that authenticates the caller and enforces the method's access
 * rule (`shop.common.v1.access`) before the handler runs.
 *
 * Why in every service and not only at the edge: a caller that reaches a service directly over gRPC
 * must get exactly what the edge would allow. A token that is present is always verified — an invalid
 * one fails even on a public method, because silently treating it as anonymous hides client bugs. The
 * verified identity is put under {@link identityKey} for handlers' ownership checks.
 */
export function createAuthInterceptor(options: AuthInterceptorOptions): Interceptor {
  const { verifier } = options;
  return (next) => async (req) => {
    const policy = accessPolicyOf(req.method);
    const token = bearerToken(requestHeaderValue(req, "authorization") ?? null);
    let identity: Identity | undefined;
    if (token !== undefined) {
      identity = await verifier.verify(token);
      req.contextValues.set(identityKey, identity);
    }
    if (policy.kind === "user") {
      if (identity === undefined) {
        throw new ConnectError("this method requires a bearer token", Code.Unauthenticated);
      }
      const missing = policy.roles.filter((role) => !identity.roles.includes(role));
      if (missing.length > 0) {
        throw new ConnectError(`this method requires the role ${missing.join(", ")}`, Code.PermissionDenied);
      }
    }
    return next(req);
  };
}

const bearerPattern = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` header (RFC 6750), undefined when there is none. */
function bearerToken(header: string | null): string | undefined {
  if (header === null || header.trim() === "") return undefined;
  const match = bearerPattern.exec(header);
  if (!match) {
    throw new ConnectError('authorization header must be "Bearer <accessToken>"', Code.Unauthenticated);
  }
  return match[1];
}
