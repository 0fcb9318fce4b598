import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import type { JWK } from "jose";
import { createUpstream } from "../clients.js";
import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import { createKeySet, type PublicKeyFetcher } from "./key-set.js";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.js";

export interface RemoteKeySourceOptions {
  /** Where the user service (or its sidecar) listens, e.g. `http://127.0.0.1:8001`. */
  readonly userServiceUrl: string;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Deadline of one GetPublicKeys call. Default two seconds. */
  readonly timeoutMs?: number;
  /**
   * Attempts per GetPublicKeys call, the first included (the service's UPSTREAM_RETRY_ATTEMPTS):
   * 1 when a sidecar already retries, so a key fetch is retried in one layer only.
   */
  readonly retryAttempts?: number;
}

export interface RemoteKeySource {
  readonly fetchKeys: PublicKeyFetcher;
  /** Closes the connection to the user service; for shutdown. */
  close(): void;
}

/**
 * Fetches the user service's public keys over gRPC (UserService.GetPublicKeys), through the
 * platform's resilient client: deadline, retries (the method is marked NO_SIDE_EFFECTS) and breaker.
 * Why: every service but the user service verifies tokens with these keys; this is their key source.
 */
export function createRemoteKeySource(options: RemoteKeySourceOptions): RemoteKeySource {
  const upstream = createUpstream({
    upstream: "user",
    baseUrl: options.userServiceUrl,
    logger: options.logger,
    timeoutMs: options.timeoutMs ?? 2000,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.retryAttempts === undefined ? {} : { retry: { maxAttempts: options.retryAttempts } }),
  });
  const client = upstream.client(UserService);
  return {
    async fetchKeys() {
      const response = await client.getPublicKeys({});
      return response.keys.map((key) => {
        // Proto3 strings are "" when unset; a JWK must not carry empty members.
        const jwk: Record<string, string> = {};
        for (const name of ["kid", "kty", "alg", "use", "crv", "x", "y", "n", "e"] as const) {
          if (key[name] !== "") jwk[name] = key[name];
        }
        return jwk as JWK;
      });
    },
    close: () => upstream.close(),
  };
}

export interface RemoteTokenVerifierOptions extends RemoteKeySourceOptions {
  readonly issuer: string;
  readonly audience: string;
}

/**
 * The token verifier of any service other than the user service: keys from GetPublicKeys, cached and
 * refreshed by {@link createKeySet}. Keys are fetched lazily, so a service starts even while the user
 * service is still starting; calls needing a token answer Unavailable until the keys arrive.
 */
export function createRemoteTokenVerifier(options: RemoteTokenVerifierOptions): {
  verifier: TokenVerifier;
  close(): void;
} {
  const source = createRemoteKeySource(options);
  const keys = createKeySet({ fetchKeys: source.fetchKeys });
  return {
    verifier: createTokenVerifier({ keys, issuer: options.issuer, audience: options.audience }),
    close: () => source.close(),
  };
}
