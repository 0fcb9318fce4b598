import { Redis } from "ioredis";
import { uniqueName } from "./names.js";

export interface TestRedisPrefix {
  /** Prepend to every key the code under test writes, e.g. `cart:` becomes `${prefix}cart:`. */
  readonly prefix: string;
  /** Deletes every key under the prefix (found with SCAN) and closes its connection; returns how many. */
  cleanup(): Promise<number>;
}

export interface TestRedisOptions {
  url?: string;
  prefix?: string;
}

/**
 * A unique key prefix for one test, plus a cleanup that removes exactly its keys.
 *
 * Why: Redis has one keyspace shared by every run on the machine; flushing it would break tests
 * running in parallel. SCAN, not KEYS, so cleanup never blocks the server.
 */
export function createTestRedisPrefix(options: TestRedisOptions = {}): TestRedisPrefix {
  const url = options.url ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const prefix = `${uniqueName(options.prefix ?? "test")}:`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let deleted = 0;
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${escapeGlob(prefix)}*`, "COUNT", 500);
          cursor = next;
          if (keys.length > 0) deleted += await redis.unlink(...keys);
        } while (cursor !== "0");
        return deleted;
      } finally {
        redis.disconnect();
      }
    },
  };
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
