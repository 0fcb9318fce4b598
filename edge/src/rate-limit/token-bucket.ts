import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { createTokenLeases, type TakenToken } from "./token-leases.js";

/**
 * Token bucket in one Lua script, so take-and-refill is atomic across every edge replica sharing the
 * Redis: the clock is Redis' own (`TIME`), so replicas with skewed clocks still agree. A bucket
 * that is full and idle expires by itself. Takes up to ARGV[3] whole tokens, at least one, or none
 * when not even one is left. Returns {tokens granted, tokens left (string), retry-after ms}.
 */
const tokenBucketLua = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
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
local granted = math.min(want, math.floor(tokens))
local retryMs = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  retryMs = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return {granted, tostring(tokens), retryMs}
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
  /**
   * Takes one token this replica already holds for `key`, if it holds one; undefined means "ask
   * `take`". The common case of a client that keeps sending, answered without a promise.
   */
  takeNow(key: string): RateLimitDecision | undefined;
  /** Stops the sweep of expired leases. */
  close(): void;
}

/** A lease is at most this share of the bucket, so one replica never holds much of a client's burst. */
const maxLeaseShare = 0.1;
/**
 * And at most this many tokens, which binds only for buckets over ten thousand. Why not fewer: a
 * lease smaller than what one client has in flight sends the rest to wait for a Redis round trip.
 * With 64, at B2's saturation (128 connections of one client) 63 % of requests waited for a lease
 * renewal; a replica holding up to 1024 unspent tokens for at most a lease's lifetime is still at
 * most a tenth of such a bucket.
 */
const maxLeaseTokens = 1024;

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
  want: number,
) => Promise<[number, string, number]>;

/**
 * Creates the per-client, per-route limiter. Why fail open: the limiter protects the services from
 * abuse, but a Redis outage must not take the whole public API down with it; the outage is logged as
 * a warning (at most every ten seconds) so operators see that limits are not enforced.
 *
 * Tokens are taken from the shared bucket in leases (see `createTokenLeases`): a client that keeps
 * sending costs one Redis round trip per lease, not per request. The bucket stays the one authority,
 * so replicas together never admit more than it holds.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { redis, capacity, refillPerSecond, logger } = options;
  redis.defineCommand("shopTokenBucket", { numberOfKeys: 1, lua: tokenBucketLua });
  const command = (redis as unknown as { shopTokenBucket: BucketCommand }).shopTokenBucket.bind(redis);
  let lastWarning = 0;
  const leases = createTokenLeases({
    maxLease: Math.max(1, Math.min(maxLeaseTokens, Math.floor(capacity * maxLeaseShare))),
    async takeFromBucket(key, want) {
      const [granted, tokens, retryMs] = await command(
        `${options.keyPrefix}${key}`,
        capacity,
        refillPerSecond,
        want,
      );
      return { granted, left: Math.max(0, Math.floor(Number(tokens))), retryAfterMs: retryMs };
    },
  });
  return {
    capacity,
    async take(key) {
      try {
        return decisionOf(await leases.take(key));
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
    takeNow(key) {
      const taken = leases.takeNow(key);
      return taken && decisionOf(taken);
    },
    close: () => leases.close(),
  };
}

/** A lease's answer as the limiter's decision: a refusal waits whole seconds, at least one. */
function decisionOf(taken: TakenToken): RateLimitDecision {
  return {
    allowed: taken.allowed,
    remaining: taken.remaining,
    retryAfterSeconds: taken.allowed ? 0 : Math.max(1, Math.ceil(taken.retryAfterMs / 1000)),
  };
}
