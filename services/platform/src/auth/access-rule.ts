import { type DescMethod, getOption, hasOption } from "@bufbuild/protobuf";
import { access } from "@shop/gen/shop/common/v1/access_pb";

/**
 * Who may call a method, normalised from its `shop.common.v1.access` option:
 * - `public`: anyone, with or without a token;
 * - `internal`: service-to-service, no end-user token needed (the mesh authenticates the caller);
 * - `user`: a valid token carrying every role in `roles` (none listed means any signed-in user).
 */
export interface AccessPolicy {
  readonly kind: "public" | "internal" | "user";
  readonly roles: readonly string[];
}

const cache = new WeakMap<DescMethod, AccessPolicy>();

/**
 * The access policy of an RPC, read once per method from its descriptor and then cached.
 *
 * Why from the descriptor: the rule is declared next to the RPC in the proto, so the edge and every
 * service enforce the same rule without a table to keep in sync. Secure by default: no option means a
 * token is required, and a contradictory option (public or internal *and* roles) is read as the
 * stricter rule, so a typo never opens a method to anonymous callers.
 */
export function accessPolicyOf(method: DescMethod): AccessPolicy {
  let policy = cache.get(method);
  if (policy === undefined) {
    policy = readPolicy(method);
    cache.set(method, policy);
  }
  return policy;
}

/**
 * Infrastructure protocols every server carries, which have no `access` option because they are not
 * ours: health probes (kubelet, Envoy, the edge's /readyz) and reflection (grpcurl, `buf curl`) never
 * carry an end-user token, so they are public. Matched by exact service name.
 */
const publicInfrastructureServices = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

function readPolicy(method: DescMethod): AccessPolicy {
  if (publicInfrastructureServices.has(method.parent.typeName)) {
    return Object.freeze({ kind: "public", roles: Object.freeze([]) });
  }
  if (!hasOption(method, access)) return Object.freeze({ kind: "user", roles: Object.freeze([]) });
  const rule = getOption(method, access);
  const roles = Object.freeze([...new Set(rule.roles.map((role) => role.toLowerCase()))]);
  if (roles.length > 0) return Object.freeze({ kind: "user", roles });
  if (rule.public) return Object.freeze({ kind: "public", roles });
  if (rule.internal) return Object.freeze({ kind: "internal", roles });
  return Object.freeze({ kind: "user", roles });
}
