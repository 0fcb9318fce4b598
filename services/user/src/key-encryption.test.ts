import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createKeyEncryption } from "./key-encryption.js";

describe("createKeyEncryption", () => {
  const secret = '{"kty":"EC","d":"private"}';

  it("round-trips through AES-256-GCM without exposing the plaintext", () => {
    const encryption = createKeyEncryption(Buffer.alloc(32, 1));
    const sealed = encryption.seal(secret);
    assert.ok(!sealed.includes("private"));
    assert.notEqual(encryption.seal(secret), sealed, "a fresh IV per seal");
    assert.equal(encryption.open(sealed), secret);
  });

  it("refuses a wrong key and a tampered value", () => {
    const sealed = createKeyEncryption(Buffer.alloc(32, 1)).seal(secret);
    assert.throws(() => createKeyEncryption(Buffer.alloc(32, 2)).open(sealed));
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith("A") ? "B" : "A"}${sealed.slice(-1)}`;
    assert.throws(() => createKeyEncryption(Buffer.alloc(32, 1)).open(tampered));
  });

  it("stores as-is without a key, but will not silently ignore an encrypted value", () => {
    const plain = createKeyEncryption(undefined);
    assert.equal(plain.open(plain.seal(secret)), secret);
    const sealed = createKeyEncryption(Buffer.alloc(32, 1)).seal(secret);
    assert.throws(() => plain.open(sealed), /SIGNING_KEY_ENCRYPTION_KEY/);
  });
});
