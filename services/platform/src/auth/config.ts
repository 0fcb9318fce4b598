import { z } from "zod";
import { urlVar } from "../config.js";

/** `iss` of the mesh's access tokens unless JWT_ISSUER says otherwise; signer and verifiers share it. */
export const defaultTokenIssuer = "shop-user";
/** `aud` of the mesh's access tokens unless JWT_AUDIENCE says otherwise. */
export const defaultTokenAudience = "shop";

/**
 * The variables a service that verifies tokens reads, as a zod shape to spread into its schema:
 * `z.object({ ...commonServiceEnv, ...authServiceEnv, PORT: portVar(8004) })`.
 * Why shared: the issuer and audience must be the same everywhere or tokens stop verifying.
 */
export const authServiceEnv = {
  /** Where the user service (or its sidecar) answers GetPublicKeys. */
  USER_SERVICE_URL: urlVar("http://127.0.0.1:8001"),
  JWT_ISSUER: z.string().min(1).default(defaultTokenIssuer),
  JWT_AUDIENCE: z.string().min(1).default(defaultTokenAudience),
};
