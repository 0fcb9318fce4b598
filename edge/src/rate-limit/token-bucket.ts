import type { Redis } from "ioredis";
import type { Logger } from "pino";

/**
 * Token bucket in one Lua script, so take-and-refill is atomic across every edge replica sharing the
 * Redis: the clock is Redis' own (`TIME`), so replicas with skewed clocks still agree. A bucket
 * that is full and idle expires by itself. Returns {allowed, tokens left (string), retry-after ms}.
 */
const tokenBucketLua = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
local allowed = 0
local retryMs = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retryMs = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return {allowed, tostring(tokens), retryMs}
`;

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole tokens left in the bucket after this request. */
  readonly remaining: number;
  /** Seconds until one more request would be allowed; 0 when allowed. */
  readonly retryAfterSeconds: number;
}

export interface RateLimiter {
  readonly capacity: number;
  /** Takes one token from the bucket of `key`; fails open (allowed) when Redis is unreachable. */
  take(key: string): Promise<RateLimitDecision>;
}

export interface RateLimiterOptions {
  readonly redis: Redis;
  /** Prepended to every bucket key (tests isolate runs with a unique prefix). */
  readonly keyPrefix: string;
  /** Burst size: requests allowed at once from a full bucket. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
  readonly logger: Logger;
}

type BucketCommand = (
  key: string,
  capacity: number,
  rate: number,
  cost: number,
) => Promise<[number, string, number]>;

/**
 * Creates the per-client, per-route limiter. Why fail open: the limiter protects the services from
 * abuse, but a Redis outage must not take the whole public API down with it; the outage is logged as
 * a warning (at most every ten seconds) so operators see that limits are not enforced.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, capacity, refillPerSecond, logger } = options;
  redis.defineCommand("shopTokenBucket", { numberOfKeys: 1, lua: tokenBucketLua });
  const command = (redis as unknown as { shopTokenBucket: BucketCommand }).shopTokenBucket.bind(redis);
  let lastWarning = 0;
  return {
    capacity,
    async take(key) {
      try {
        const [allowed, tokens, retryMs] = await command(
          `${options.keyPrefix}${key}`,
          capacity,
          refillPerSecond,
          1,
        );
        return {
          allowed: allowed === 1,
          remaining: Math.max(0, Math.floor(Number(tokens))),
          retryAfterSeconds: allowed === 1 ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
        };
      } catch (error) {
        const now = Date.now();
        if (now - lastWarning > 10_000) {
          lastWarning = now;
          logger.warn(
            { err: error },
            "rate limiter unavailable (Redis): failing open, limits are not enforced",
          );
        }
        return { allowed: true, remaining: capacity, retryAfterSeconds: 0 };
      }
    },
  };
}
