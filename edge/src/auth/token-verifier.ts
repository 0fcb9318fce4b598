/**
 * The edge verifies bearer tokens through the platform's verifier interface, the same one every
 * service uses, so the edge and a direct gRPC call accept exactly the same tokens.
 */

export type { Identity } from "@shop/platform/auth/identity";
export type { TokenVerifier } from "@shop/platform/auth/token-verifier";
