import type { Logger } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { ServiceResources } from "../service-resources.js";
import { createRemoteTokenVerifier } from "./remote-key-source.js";
import type { TokenVerifier } from "./token-verifier.js";

/** The settings of a service that verifies the user service's tokens (`authServiceEnv` + retries). */
export interface RemoteVerifierConfig {
  readonly USER_SERVICE_URL: string;
  readonly JWT_ISSUER: string;
  readonly JWT_AUDIENCE: string;
  readonly UPSTREAM_RETRY_ATTEMPTS: number;
}

/**
 * The verifier a service authenticates calls with: `given` when the caller passed one (tests sign
 * tokens with a local issuer), else one over the user service's public keys, whose client is
 * registered on `resources` so it closes with the service.
 *
 * Why shared: every service but the user service resolves its verifier this same way, and the
 * remote one must follow the service's retry setting (one retry layer, ARCHITECTURE §5).
 */
export function resolveTokenVerifier(
  config: RemoteVerifierConfig,
  given: TokenVerifier | undefined,
  context: {
    readonly logger: Logger;
    readonly resources: ServiceResources;
    /** The service's metrics: key fetches then count as calls to the `user` upstream. */
    readonly metrics?: Metrics;
  },
): TokenVerifier {
  if (given) return given;
  const remote = createRemoteTokenVerifier({
    userServiceUrl: config.USER_SERVICE_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    retryAttempts: config.UPSTREAM_RETRY_ATTEMPTS,
    logger: context.logger,
    ...(context.metrics === undefined ? {} : { metrics: context.metrics }),
  });
  context.resources.defer(() => remote.close());
  return remote.verifier;
}
