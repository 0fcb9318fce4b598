import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createKeySet } from "./key-set.js";
import { createTestTokenIssuer } from "./testing.js";
import { createTokenVerifier } from "./token-verifier.js";

async function rejectsWith(promise: Promise<unknown>, code: Code, pattern: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.rawMessage, pattern);
    return true;
  });
}

describe("createTokenVerifier", () => {
  it("returns the identity a valid token proves", async () => {
    const issuer = await createTestTokenIssuer();
    const token = await issuer.sign({ userId: "user-1", email: "ann@example.com", roles: ["admin"] });
    assert.deepEqual(await issuer.verifier.verify(token), {
      userId: "user-1",
      email: "ann@example.com",
      roles: ["admin"],
    });
  });

  it("refuses an expired token", async () => {
    const issuer = await createTestTokenIssuer();
    const token = await issuer.sign({ userId: "u", email: "a@b.c" }, { expiresInSeconds: -60 });
    await rejectsWith(issuer.verifier.verify(token), Code.Unauthenticated, /expired/);
  });

  it("refuses a token for another audience or from another issuer", async () => {
    const issuer = await createTestTokenIssuer();
    const wrongAudience = await issuer.sign({ userId: "u", email: "a@b.c" }, { audience: "billing" });
    await rejectsWith(issuer.verifier.verify(wrongAudience), Code.Unauthenticated, /audience/);
    const wrongIssuer = await issuer.sign({ userId: "u", email: "a@b.c" }, { issuer: "evil" });
    await rejectsWith(issuer.verifier.verify(wrongIssuer), Code.Unauthenticated, /issuer/);
  });

  it("refuses a token whose payload was altered", async () => {
    const issuer = await createTestTokenIssuer();
    const token = await issuer.sign({ userId: "u", email: "a@b.c" });
    const [header, , signature] = token.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({
        sub: "u",
        email: "a@b.c",
        roles: ["admin"],
        iss: issuer.issuer,
        aud: issuer.audience,
        exp: Math.floor(Date.now() / 1000) + 600,
      }),
    ).toString("base64url");
    await rejectsWith(
      issuer.verifier.verify(`${header}.${forgedPayload}.${signature}`),
      Code.Unauthenticated,
      /signature/,
    );
  });

  it("refuses a token signed by a key that is not published", async () => {
    const issuer = await createTestTokenIssuer();
    const { privateKey } = await generateKeyPair("ES256");
    const token = await new SignJWT({ email: "a@b.c", roles: [] })
      .setProtectedHeader({ alg: "ES256", kid: issuer.currentKid })
      .setSubject("u")
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setExpirationTime("1h")
      .sign(privateKey);
    await rejectsWith(issuer.verifier.verify(token), Code.Unauthenticated, /signature/);
    const unknownKid = await new SignJWT({ email: "a@b.c", roles: [] })
      .setProtectedHeader({ alg: "ES256", kid: "someone-else" })
      .setSubject("u")
      .setIssuer(issuer.issuer)
      .setAudience(issuer.audience)
      .setExpirationTime("1h")
      .sign(privateKey);
    await rejectsWith(issuer.verifier.verify(unknownKid), Code.Unauthenticated, /unknown key/);
  });

  it("refuses unsigned and HMAC tokens", async () => {
    const issuer = await createTestTokenIssuer();
    const claims = { sub: "u", email: "a@b.c", roles: ["admin"], iss: issuer.issuer, aud: issuer.audience };
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", kid: issuer.currentKid })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    await rejectsWith(issuer.verifier.verify(unsigned), Code.Unauthenticated, /algorithm|malformed/);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", kid: issuer.currentKid })
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("a-shared-secret-of-32-bytes-long!"));
    await rejectsWith(issuer.verifier.verify(hmac), Code.Unauthenticated, /algorithm/);
  });

  it("refuses garbage and signed tokens without identity claims", async () => {
    const issuer = await createTestTokenIssuer();
    await rejectsWith(issuer.verifier.verify("not-a-jwt"), Code.Unauthenticated, /malformed/);

    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
    const verifier = createTokenVerifier({
      keys: createKeySet({ fetchKeys: async () => [jwk] }),
      issuer: "iss",
      audience: "aud",
    });
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setSubject("u")
        .setIssuer("iss")
        .setAudience("aud")
        .setExpirationTime("1h")
        .sign(privateKey);
    assert.equal((await verifier.verify(await sign({ email: "a@b.c", roles: [] }))).userId, "u");
    await rejectsWith(verifier.verify(await sign({ email: "a@b.c" })), Code.Unauthenticated, /roles/);
    await rejectsWith(
      verifier.verify(await sign({ email: "a@b.c", roles: [1] })),
      Code.Unauthenticated,
      /roles/,
    );
    await rejectsWith(verifier.verify(await sign({ roles: [] })), Code.Unauthenticated, /email/);
  });

  it("answers Unavailable when the keys cannot be fetched at all", async () => {
    const issuer = await createTestTokenIssuer();
    const keys = createKeySet({
      fetchKeys: async () => {
        throw new Error("connect ECONNREFUSED 10.0.0.7:8001");
      },
    });
    const verifier = createTokenVerifier({ keys, issuer: issuer.issuer, audience: issuer.audience });
    const token = await issuer.sign({ userId: "u", email: "a@b.c" });
    await assert.rejects(verifier.verify(token), (error: unknown) => {
      assert.ok(error instanceof ConnectError);
      assert.equal(error.code, Code.Unavailable);
      assert.doesNotMatch(error.message, /ECONNREFUSED|10\.0\.0\.7/);
      return true;
    });
  });
});
