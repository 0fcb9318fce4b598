import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import {
  type JsonWebKey,
  JsonWebKeySchema,
  type User,
  UserSchema,
  type UserService,
} from "@shop/gen/shop/user/v1/user_pb";
import { requireIdentity } from "@shop/platform/auth/identity";
import { traceHeaders } from "@shop/platform/request-context";
import type { JWK } from "jose";
import type { AccessTokenIssuer } from "./access-tokens.js";
import type { PasswordHasher } from "./passwords.js";
import type { UserRow } from "./schema.js";
import type { SigningKeys } from "./signing-keys.js";
import { EmailTakenError, type UserStore, type UserTransaction } from "./store.js";
import { validateLogin, validateRegistration } from "./validation.js";

export interface UserHandlerDeps {
  readonly store: UserStore;
  readonly hasher: PasswordHasher;
  readonly tokens: AccessTokenIssuer;
  readonly keys: SigningKeys;
  /** Writes the UserRegistered event in the registration's transaction (the outbox). */
  readonly onRegistered: (tx: UserTransaction, user: UserRow, traceparent?: string) => Promise<void>;
}

/** The same answer for an unknown email and a wrong password, so Login cannot probe accounts. */
const badCredentials = "email or password is incorrect";

/**
 * The UserService RPCs: validation and error codes here; storage, hashing and signing behind `deps`.
 * Why Login always runs a password check: an unknown email must cost as long as a wrong password.
 */
export function createUserHandlers(deps: UserHandlerDeps): Partial<ServiceImpl<typeof UserService>> {
  const { store, hasher, tokens, keys } = deps;
  return {
    async register(request, context) {
      const registration = validateRegistration(request);
      const passwordHash = await hasher.hash(registration.password);
      try {
        const { traceparent } = traceHeaders(context.values);
        const row = await store.createUser(
          { email: registration.email, name: registration.name, passwordHash },
          (tx, created) => deps.onRegistered(tx, created, traceparent),
        );
        return { user: toUserMessage(row) };
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw new ConnectError("email: an account with this email already exists", Code.AlreadyExists);
        }
        throw error;
      }
    },

    async login(request) {
      const { email, password } = validateLogin(request);
      const row = await store.findByEmail(email);
      const matches = await hasher.verify(row?.passwordHash, password);
      if (!row || !matches) throw new ConnectError(badCredentials, Code.Unauthenticated);
      const issued = await tokens.issue({ id: row.id, email: row.email, roles: row.roles });
      return {
        accessToken: issued.token,
        tokenType: "Bearer",
        expiresIn: issued.expiresIn,
        user: toUserMessage(row),
      };
    },

    async getMe(_request, context) {
      const identity = requireIdentity(context);
      const row = await store.findById(identity.userId);
      if (!row) throw new ConnectError("the account of this token no longer exists", Code.NotFound);
      return { user: toUserMessage(row) };
    },

    async getPublicKeys() {
      return { keys: (await keys.publicKeys()).map(toJsonWebKey) };
    },
  };
}

function toUserMessage(row: UserRow): User {
  return create(UserSchema, {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles,
    createTime: timestampFromDate(row.createTime),
  });
}

function toJsonWebKey(jwk: JWK): JsonWebKey {
  return create(JsonWebKeySchema, {
    kid: jwk.kid ?? "",
    kty: jwk.kty ?? "",
    alg: jwk.alg ?? "",
    use: jwk.use ?? "sig",
    crv: jwk.crv ?? "",
    x: jwk.x ?? "",
    y: jwk.y ?? "",
    n: jwk.n ?? "",
    e: jwk.e ?? "",
  });
}
