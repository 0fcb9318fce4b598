import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/** Seals and opens private signing keys for storage. */
export interface KeyEncryption {
  seal(plaintext: string): string;
  open(stored: string): string;
}

const prefix = "aes256gcm:v1:";

/**
 * Encrypts private signing keys at rest with AES-256-GCM when a 32-byte key is configured.
 *
 * Why: a database dump or backup should not be enough to mint admin tokens. Without a key (developer
 * machines) values are stored as they are; a stored value that is encrypted but cannot be opened is a
 * start-up error rather than a silently regenerated key.
 */
export function createKeyEncryption(key: Buffer | undefined): KeyEncryption {
  if (key !== undefined && key.length !== 32) throw new RangeError("the key encryption key must be 32 bytes");
  return {
    seal(plaintext) {
      if (key === undefined) return plaintext;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString("base64url"));
      return `${prefix}${parts.join(".")}`;
    },
    open(stored) {
      if (!stored.startsWith(prefix)) return stored;
      if (key === undefined) {
        throw new Error("a signing key is encrypted but SIGNING_KEY_ENCRYPTION_KEY is not set");
      }
      const [iv, tag, ciphertext] = stored
        .slice(prefix.length)
        .split(".")
        .map((part) => Buffer.from(part, "base64url"));
      if (!iv || !tag || !ciphertext) throw new Error("a stored signing key is corrupt");
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
    },
  };
}
