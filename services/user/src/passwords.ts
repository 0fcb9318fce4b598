import { randomBytes } from "node:crypto";
import { type Algorithm, hash, verify } from "@node-rs/argon2";

/** argon2id's value in @node-rs/argon2's const enum, which isolated modules cannot reference by name. */
const argon2id = 2 as Algorithm;

export interface PasswordHasherOptions {
  /** Memory per hash in KiB: the cost that makes GPU and ASIC guessing expensive. */
  readonly memoryKib: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** Hashes new passwords and checks attempts against stored hashes. */
export interface PasswordHasher {
  /** A self-describing PHC string (`$argon2id$v=19$m=…`) with a fresh random salt. */
  hash(password: string): Promise<string>;
  /**
   * True when `password` matches `storedHash`. With no stored hash (unknown account) it checks
   * against a dummy hash with the same parameters and returns false, so both cases take as long.
   */
  verify(storedHash: string | undefined, password: string): Promise<boolean>;
}

/**
 * argon2id password hashing with configurable cost.
 *
 * Why argon2id: it is memory-hard, so each guess costs an attacker memory as well as time, and it is
 * the first choice of OWASP's password storage guidance. Why the dummy hash: Login must not reveal
 * whether an email is registered, by its message or by how long it takes.
 */
export async function createPasswordHasher(options: PasswordHasherOptions): Promise<PasswordHasher> {
  const params = {
    algorithm: argon2id,
    memoryCost: options.memoryKib,
    timeCost: options.timeCost,
    parallelism: options.parallelism,
  };
  const dummyHash = await hash(randomBytes(32).toString("base64"), params);
  return {
    hash: (password) => hash(password, params),
    async verify(storedHash, password) {
      if (storedHash === undefined) {
        await verify(dummyHash, password).catch(() => false);
        return false;
      }
      // A malformed stored hash is a data problem, not a reason to let anyone in.
      return verify(storedHash, password).catch(() => false);
    },
  };
}
