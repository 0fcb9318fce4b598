import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPasswordHasher } from "./passwords.js";

describe("createPasswordHasher", () => {
  it("hashes with argon2id and the configured cost, salted per hash", async () => {
    const hasher = await createPasswordHasher({ memoryKib: 2048, timeCost: 3, parallelism: 1 });
    const first = await hasher.hash("correct horse");
    const second = await hasher.hash("correct horse");
    assert.match(first, /^\$argon2id\$v=19\$m=2048,t=3,p=1\$/);
    assert.notEqual(first, second);
    assert.equal(await hasher.verify(first, "correct horse"), true);
    assert.equal(await hasher.verify(first, "Correct horse"), false);
  });

  it("returns false for an unknown account and for a corrupt stored hash", async () => {
    const hasher = await createPasswordHasher({ memoryKib: 1024, timeCost: 1, parallelism: 1 });
    assert.equal(await hasher.verify(undefined, "anything"), false);
    assert.equal(await hasher.verify("not a hash", "anything"), false);
  });
});
