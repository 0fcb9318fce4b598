import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { UserRegistered } from "@shop/gen/shop/user/v1/events_pb";
import { UserService } from "@shop/gen/shop/user/v1/user_pb";
import { createRemoteTokenVerifier } from "@shop/platform/auth/remote-key-source";
import { decodeEvent } from "@shop/platform/events/event-codec";
import { createLogger } from "@shop/platform/log";
import { createTestDatabase, type TestDatabase } from "@shop/platform/testing";
import { decodeProtectedHeader } from "jose";
import postgres from "postgres";
import { parseUserConfig } from "../src/config.js";
import { type RunningUserService, startUserService } from "../src/service.js";

const logger = createLogger({ service: "user-test", level: "silent" });
const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
let database: TestDatabase;
const running: RunningUserService[] = [];

/** Test config: a fresh database, a free port, and cheap (still argon2id) hashing. */
function configFor(env: Record<string, string> = {}) {
  return {
    ...parseUserConfig({
      DATABASE_URL: database.url,
      ARGON2_MEMORY_KIB: "1024",
      ARGON2_TIME_COST: "1",
      LOG_LEVEL: "silent",
      ...env,
    }),
    PORT: 0,
  };
}

async function start(env: Record<string, string> = {}) {
  const service = await startUserService(configFor(env), { logger });
  running.push(service);
  const baseUrl = `http://127.0.0.1:${service.port}`;
  return { service, baseUrl, client: createClient(UserService, createGrpcTransport({ baseUrl })) };
}

let service: RunningUserService;
let baseUrl: string;
let client: Client<typeof UserService>;

before(async () => {
  database = await createTestDatabase({ prefix: "user" });
  ({ service, baseUrl, client } = await start());
});

after(async () => {
  for (const s of running.reverse()) await s.shutdown();
  await database.drop();
});

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
let counter = 0;
const freshEmail = () => `person${++counter}-${Date.now()}@example.com`;

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

describe("user service over gRPC", () => {
  it("registers, logs in and returns the caller from GetMe", async () => {
    const email = freshEmail();
    const registered = await client.register({
      email: email.toUpperCase(),
      password: "correct horse",
      name: "  Ann  ",
    });
    assert.equal(registered.user?.email, email);
    assert.equal(registered.user?.name, "Ann");
    assert.deepEqual(registered.user?.roles, []);
    assert.ok(registered.user?.createTime);

    const login = await client.login({ email, password: "correct horse" });
    assert.equal(login.tokenType, "Bearer");
    assert.equal(login.expiresIn, 3600);
    assert.equal(login.user?.id, registered.user?.id);

    const me = await client.getMe({}, bearer(login.accessToken));
    assert.equal(me.user?.id, registered.user?.id);
    assert.equal(me.user?.email, email);
  });

  it("refuses a duplicate email in any case, also when registrations race", async () => {
    const email = freshEmail();
    await client.register({ email, password: "password1", name: "First" });
    const duplicate = await failure(
      client.register({ email: email.toUpperCase(), password: "password2", name: "Second" }),
    );
    assert.equal(duplicate.code, Code.AlreadyExists);
    assert.match(duplicate.rawMessage, /email/);

    const raced = freshEmail();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        client.register({ email: raced, password: "password1", name: `Racer ${i}` }),
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const result of results) {
      if (result.status === "rejected")
        assert.equal(ConnectError.from(result.reason).code, Code.AlreadyExists);
    }
  });

  it("answers InvalidArgument naming the bad field", async () => {
    const cases = [
      [{ email: "not-an-email", password: "password1", name: "Ann" }, "email"],
      [{ email: "", password: "password1", name: "Ann" }, "email"],
      [{ email: `${"a".repeat(250)}@x.io`, password: "password1", name: "Ann" }, "email"],
      [{ email: freshEmail(), password: "short", name: "Ann" }, "password"],
      [{ email: freshEmail(), password: "p".repeat(129), name: "Ann" }, "password"],
      [{ email: freshEmail(), password: "password1", name: "   " }, "name"],
      [{ email: freshEmail(), password: "password1", name: "n".repeat(101) }, "name"],
    ] as const;
    for (const [request, field] of cases) {
      const error = await failure(client.register(request));
      assert.equal(error.code, Code.InvalidArgument, JSON.stringify(request));
      assert.match(error.rawMessage, new RegExp(`^${field} `));
    }
  });

  it("answers a wrong password and an unknown email identically", async () => {
    const email = freshEmail();
    await client.register({ email, password: "the right one", name: "Ann" });
    const wrongPassword = await failure(client.login({ email, password: "the wrong one" }));
    const unknownEmail = await failure(client.login({ email: freshEmail(), password: "the right one" }));
    assert.equal(wrongPassword.code, Code.Unauthenticated);
    assert.equal(unknownEmail.code, wrongPassword.code);
    assert.equal(unknownEmail.rawMessage, wrongPassword.rawMessage);
  });

  it("requires a valid token for GetMe", async () => {
    assert.equal((await failure(client.getMe({}))).code, Code.Unauthenticated);
    assert.equal((await failure(client.getMe({}, bearer("abc.def.ghi")))).code, Code.Unauthenticated);
  });

  it("issues tokens that the platform verifier accepts with keys from GetPublicKeys", async () => {
    const email = freshEmail();
    const { user } = await client.register({ email, password: "password1", name: "Ann" });
    const { accessToken } = await client.login({ email, password: "password1" });
    const remote = createRemoteTokenVerifier({
      userServiceUrl: baseUrl,
      issuer: "shop-user",
      audience: "shop",
      logger,
    });
    try {
      assert.deepEqual(await remote.verifier.verify(accessToken), { userId: user?.id, email, roles: [] });
    } finally {
      remote.close();
    }
    const { keys } = await client.getPublicKeys({});
    assert.ok(keys.length >= 1);
    for (const key of keys) {
      assert.equal(key.kty, "EC");
      assert.equal(key.alg, "ES256");
      assert.equal(key.n, "");
      assert.ok(!("d" in key), "no private member");
    }
  });

  it("records UserRegistered in the outbox with the account, and nothing for a refused registration", async () => {
    const email = freshEmail();
    const { user } = await client.register({ email, password: "password1", name: "Ann" });
    await failure(client.register({ email, password: "password1", name: "Ann again" }));
    const sql = postgres(database.url, { max: 1 });
    try {
      const rows = await sql<{ subject: string; payload: Uint8Array }[]>`select subject, payload from outbox`;
      const events = rows
        .filter((row) => row.subject === "shop.user.v1.UserRegistered")
        .map((row) => decodeEvent(row.subject, row.payload).event as UserRegistered)
        .filter((event) => event.email === email);
      assert.equal(events.length, 1);
      assert.equal(events[0]?.userId, user?.id);
      assert.equal(events[0]?.name, "Ann");
    } finally {
      await sql.end();
    }
  });

  it("stores argon2id hashes, never the password", async () => {
    const email = freshEmail();
    await client.register({ email, password: "a secret password", name: "Ann" });
    const sql = postgres(database.url, { max: 1 });
    try {
      const [row] = await sql<
        { password_hash: string }[]
      >`select password_hash from users where email = ${email}`;
      assert.match(row?.password_hash ?? "", /^\$argon2id\$/);
      assert.ok(!row?.password_hash.includes("a secret password"));
    } finally {
      await sql.end();
    }
  });

  it("keeps old tokens valid after rotateSigningKey and signs new ones with the new key", async () => {
    const email = freshEmail();
    await client.register({ email, password: "password1", name: "Ann" });
    const before = (await client.login({ email, password: "password1" })).accessToken;
    const newKid = await service.rotateSigningKey();
    const after = (await client.login({ email, password: "password1" })).accessToken;
    assert.notEqual(decodeProtectedHeader(before).kid, newKid);
    assert.equal(decodeProtectedHeader(after).kid, newKid);

    const kids = (await client.getPublicKeys({})).keys.map((key) => key.kid);
    assert.ok(kids.includes(newKid) && kids.includes(decodeProtectedHeader(before).kid ?? ""));

    for (const token of [before, after]) {
      assert.equal((await client.getMe({}, bearer(token))).user?.email, email);
    }
    const remote = createRemoteTokenVerifier({
      userServiceUrl: baseUrl,
      issuer: "shop-user",
      audience: "shop",
      logger,
    });
    try {
      for (const token of [before, after]) assert.equal((await remote.verifier.verify(token)).email, email);
    } finally {
      remote.close();
    }
  });

  /** Runs the operator command `scripts/rotate-signing-key.ts` as `npm run user:rotate-key` does. */
  async function rotateKeyCommand(env: Record<string, string>) {
    const childEnv: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "silent", ...env };
    if (!("SIGNING_KEY_ENCRYPTION_KEY" in env)) delete childEnv.SIGNING_KEY_ENCRYPTION_KEY;
    return execFileAsync(process.execPath, ["--import", "tsx", "scripts/rotate-signing-key.ts"], {
      cwd: repoRoot,
      env: childEnv,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
  }

  it("rotates with the operator command: the next login signs with the new key, earlier tokens stay valid", async () => {
    const email = freshEmail();
    await client.register({ email, password: "password1", name: "Ann" });
    const before = (await client.login({ email, password: "password1" })).accessToken;
    const oldKid = decodeProtectedHeader(before).kid ?? "";

    const rotation = await rotateKeyCommand({ DATABASE_URL: database.url });
    assert.equal(rotation.code, 0, rotation.stderr);
    const newKid = /logins now sign with (\S+)/.exec(rotation.stdout)?.[1] ?? "";
    assert.match(rotation.stdout, new RegExp(`${oldKid} is retired`));

    const after = (await client.login({ email, password: "password1" })).accessToken;
    assert.equal(decodeProtectedHeader(after).kid, newKid);
    assert.notEqual(newKid, oldKid);
    // The running service learns the new kid from the first token signed with it.
    for (const token of [before, after]) {
      assert.equal((await client.getMe({}, bearer(token))).user?.email, email);
    }
    const kids = (await client.getPublicKeys({})).keys.map((key) => key.kid);
    assert.ok(kids.includes(newKid) && kids.includes(oldKid), kids.join(", "));
  });

  it("refuses to rotate without the encryption key the stored keys are sealed with, writing nothing", async () => {
    const sealed = await createTestDatabase({ prefix: "user_sealed" });
    try {
      const encryptionKey = randomBytes(32).toString("base64");
      const sealedService = await startUserService(
        { ...configFor({ SIGNING_KEY_ENCRYPTION_KEY: encryptionKey }), DATABASE_URL: sealed.url },
        { logger },
      );
      await sealedService.shutdown();
      const countKeys = async () => {
        const sql = postgres(sealed.url, { max: 1 });
        try {
          return (await sql`select count(*)::int as n from signing_keys`)[0]?.n as number;
        } finally {
          await sql.end();
        }
      };
      assert.equal(await countKeys(), 1);
      const refused = await rotateKeyCommand({ DATABASE_URL: sealed.url });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /SIGNING_KEY_ENCRYPTION_KEY is not set/);
      assert.equal(await countKeys(), 1, "no unencrypted key was written");
      const rotated = await rotateKeyCommand({
        DATABASE_URL: sealed.url,
        SIGNING_KEY_ENCRYPTION_KEY: encryptionKey,
      });
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.equal(await countKeys(), 2);
    } finally {
      await sealed.drop();
    }
  });

  it("persists keys: another instance on the same database accepts existing tokens", async () => {
    const email = freshEmail();
    await client.register({ email, password: "password1", name: "Ann" });
    const token = (await client.login({ email, password: "password1" })).accessToken;
    const other = await start();
    assert.equal((await other.client.getMe({}, bearer(token))).user?.email, email);
  });

  it("seeds the admin from configuration: creates it, or promotes an existing account", async () => {
    const newAdmin = freshEmail();
    const seeded = await start({ SHOP_ADMIN_EMAIL: newAdmin, SHOP_ADMIN_PASSWORD: "admin password" });
    const login = await seeded.client.login({ email: newAdmin, password: "admin password" });
    assert.deepEqual(login.user?.roles, ["admin"]);
    assert.deepEqual((await service.verifier.verify(login.accessToken)).roles, ["admin"]);

    const existing = freshEmail();
    await client.register({ email: existing, password: "own password", name: "Bob" });
    await start({ SHOP_ADMIN_EMAIL: existing.toUpperCase(), SHOP_ADMIN_PASSWORD: "other password" });
    // Promoted, password unchanged; seeding twice does not duplicate the role.
    await start({ SHOP_ADMIN_EMAIL: existing, SHOP_ADMIN_PASSWORD: "other password" });
    const promoted = await client.login({ email: existing, password: "own password" });
    assert.deepEqual(promoted.user?.roles, ["admin"]);
  });

  it("refuses to seed an admin with a password that breaks the rules", async () => {
    await assert.rejects(start({ SHOP_ADMIN_EMAIL: freshEmail(), SHOP_ADMIN_PASSWORD: "short" }), /password/);
  });

  it("encrypts private signing keys at rest when a key is configured", async () => {
    const encrypted = await createTestDatabase({ prefix: "user_enc" });
    try {
      const config = {
        ...parseUserConfig({
          DATABASE_URL: encrypted.url,
          ARGON2_MEMORY_KIB: "1024",
          ARGON2_TIME_COST: "1",
          SIGNING_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
        }),
        PORT: 0,
      };
      const instance = await startUserService(config, { logger });
      try {
        const c = createClient(
          UserService,
          createGrpcTransport({ baseUrl: `http://127.0.0.1:${instance.port}` }),
        );
        await c.register({ email: "enc@example.com", password: "password1", name: "Enc" });
        const { accessToken } = await c.login({ email: "enc@example.com", password: "password1" });
        assert.equal((await instance.verifier.verify(accessToken)).email, "enc@example.com");
        const sql = postgres(encrypted.url, { max: 1 });
        try {
          const rows = await sql<{ private_jwk: string }[]>`select private_jwk from signing_keys`;
          assert.ok(rows.length > 0);
          for (const row of rows) assert.match(row.private_jwk, /^aes256gcm:v1:/);
        } finally {
          await sql.end();
        }
      } finally {
        await instance.shutdown();
      }
    } finally {
      await encrypted.drop();
    }
  });
});
