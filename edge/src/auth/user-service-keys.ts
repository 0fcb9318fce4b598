import { create, type DescMethodUnary, type DescService, toJson } from "@bufbuild/protobuf";
import type { PublicKeyFetcher } from "@shop/platform/auth/key-set";
import type { JWK } from "jose";
import type { Upstreams } from "../upstreams.js";

/**
 * Fetches the user service's public signing keys (UserService.GetPublicKeys) through the edge's own
 * upstream client, as JWKs for the platform key set. Why here: the edge has no generated clients; it
 * calls the method found in the descriptor set, like every other call it makes.
 */
export function createUserServiceKeySource(
  services: readonly DescService[],
  upstreams: Upstreams,
): PublicKeyFetcher {
  const service = services.find((s) => s.typeName === "shop.user.v1.UserService");
  const method = service?.methods.find((m) => m.name === "GetPublicKeys");
  if (method?.methodKind !== "unary") {
    throw new Error(
      "the contracts have no shop.user.v1.UserService/GetPublicKeys: the edge cannot verify tokens",
    );
  }
  return async () => {
    const reply = await upstreams.callUnary(method as DescMethodUnary, create(method.input), {
      headers: new Headers(),
      signal: AbortSignal.timeout(5000),
    });
    const json = toJson(method.output, reply) as { keys?: JWK[] };
    return json.keys ?? [];
  };
}
