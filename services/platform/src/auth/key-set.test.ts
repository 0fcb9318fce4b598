import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeProtectedHeader, type JWK } from "jose";
import { createKeySet, KeysUnavailableError, UnknownKeyError } from "./key-set.js";
import { createTestTokenIssuer } from "./testing.js";

/** A fetcher over an issuer's keys that counts calls and can be made to fail. */
function countingSource(fetchKeys: () => Promise<readonly JWK[]>) {
  const state = { calls: 0, failing: false };
  return {
    state,
    fetchKeys: async () => {
      state.calls++;
      if (state.failing) throw new Error("connection refused");
      return fetchKeys();
    },
  };
}

describe("createKeySet", () => {
  it("refetches on an unknown kid, so a token signed after rotation verifies", async () => {
    const issuer = await createTestTokenIssuer();
    const source = countingSource(issuer.fetchKeys);
    let clock = 0;
    const keys = createKeySet({
      fetchKeys: source.fetchKeys,
      now: () => clock,
      minRefreshIntervalMs: 10_000,
    });
    const before = await issuer.sign({ userId: "u1", email: "a@b.c" });
    await keys.getKey(decodeProtectedHeader(before));
    assert.equal(source.state.calls, 1);

    await issuer.rotate();
    const after = await issuer.sign({ userId: "u1", email: "a@b.c" });
    clock += 10_000;
    const key = await keys.getKey(decodeProtectedHeader(after));
    assert.ok(key);
    assert.equal(source.state.calls, 2);
    // The old key is still published, and cached: no further fetch.
    await keys.getKey(decodeProtectedHeader(before));
    assert.equal(source.state.calls, 2);
  });

  it("rate-limits refetches triggered by unknown kids", async () => {
    const issuer = await createTestTokenIssuer();
    const source = countingSource(issuer.fetchKeys);
    let clock = 0;
    const keys = createKeySet({
      fetchKeys: source.fetchKeys,
      now: () => clock,
      minRefreshIntervalMs: 10_000,
    });
    await keys.refresh();
    clock += 1_000;
    for (let i = 0; i < 5; i++) {
      await assert.rejects(keys.getKey({ alg: "ES256", kid: `forged-${i}` }), UnknownKeyError);
    }
    assert.equal(source.state.calls, 1);
    clock += 10_000;
    await assert.rejects(keys.getKey({ alg: "ES256", kid: "forged-late" }), UnknownKeyError);
    assert.equal(source.state.calls, 2);
  });

  it("refetches keys older than maxAgeMs", async () => {
    const issuer = await createTestTokenIssuer();
    const source = countingSource(issuer.fetchKeys);
    let clock = 0;
    const keys = createKeySet({ fetchKeys: source.fetchKeys, now: () => clock, maxAgeMs: 60_000 });
    const header = { alg: "ES256", kid: issuer.currentKid };
    await keys.getKey(header);
    clock += 30_000;
    await keys.getKey(header);
    assert.equal(source.state.calls, 1);
    clock += 31_000;
    await keys.getKey(header);
    assert.equal(source.state.calls, 2);
  });

  it("keeps verifying with cached keys while the source is down", async () => {
    const issuer = await createTestTokenIssuer();
    const source = countingSource(issuer.fetchKeys);
    let clock = 0;
    const keys = createKeySet({ fetchKeys: source.fetchKeys, now: () => clock, maxAgeMs: 60_000 });
    const header = { alg: "ES256", kid: issuer.currentKid };
    await keys.getKey(header);
    source.state.failing = true;
    clock += 120_000;
    assert.ok(await keys.getKey(header));
    assert.equal(source.state.calls, 2);
  });

  it("reports unavailable when no keys were ever fetched", async () => {
    const source = countingSource(async () => []);
    source.state.failing = true;
    const keys = createKeySet({ fetchKeys: source.fetchKeys });
    await assert.rejects(keys.getKey({ alg: "ES256", kid: "k" }), KeysUnavailableError);
  });

  it("shares one fetch between concurrent callers", async () => {
    const issuer = await createTestTokenIssuer();
    const source = countingSource(issuer.fetchKeys);
    const keys = createKeySet({ fetchKeys: source.fetchKeys });
    const header = { alg: "ES256", kid: issuer.currentKid };
    await Promise.all([keys.getKey(header), keys.getKey(header), keys.getKey(header)]);
    assert.equal(source.state.calls, 1);
  });

  it("skips keys it cannot import instead of failing the whole set", async () => {
    const issuer = await createTestTokenIssuer();
    const broken: JWK = { kty: "EC", crv: "P-256", x: "AAAA", y: "AAAA", kid: "broken", alg: "ES256" };
    const keys = createKeySet({ fetchKeys: async () => [broken, ...(await issuer.fetchKeys())] });
    assert.ok(await keys.getKey({ alg: "ES256", kid: issuer.currentKid }));
    await assert.rejects(keys.getKey({ alg: "ES256", kid: "broken" }), UnknownKeyError);
  });
});
