/** What the shared bucket gave for one request to take `want` tokens. */
export interface BucketGrant {
  /** Whole tokens taken, 0 to `want`; 0 means the bucket had not even one. */
  readonly granted: number;
  /** Whole tokens left in the bucket after the grant. */
  readonly left: number;
  /** When `granted` is 0: how long until one token is back. */
  readonly retryAfterMs: number;
}

export interface TakenToken {
  readonly allowed: boolean;
  /** Tokens this client may still spend: the bucket's at the last grant plus this replica's lease. */
  readonly remaining: number;
  readonly retryAfterMs: number;
}

export interface TokenLeasesOptions {
  /** Takes up to `want` tokens from the shared bucket of `key` (atomically, in Redis). */
  takeFromBucket(key: string, want: number): Promise<BucketGrant>;
  /** The largest lease; 1 makes every request ask the bucket. */
  readonly maxLease: number;
  /** How long unspent leased tokens stay usable. Defaults to one second. */
  readonly leaseTtlMs?: number;
}

interface Lease {
  /** Leased tokens not yet spent. */
  tokens: number;
  /** When unspent tokens lapse; a client seen again before this counts as sending steadily. */
  expiresAt: number;
  /** The size the next lease asks for. */
  size: number;
  /** Whole tokens the bucket had left at the last grant, for the `remaining` a client is told. */
  bucketLeft: number;
  /** Tokens asked of the bucket by requests still waiting for Redis. */
  inFlight: number;
}

/**
 * Spends tokens of a shared bucket locally, in leases: the first request of a client takes one token
 * from the bucket; while the client comes back before its lease lapses, each new lease is twice as
 * large, up to `maxLease`; a lease left to lapse, or a refusal, starts the client over at one.
 *
 * Why: asking Redis for every request put a network round trip on each one and cost about 8 % of the
 * edge's CPU at saturation (measured side by side). Why this shape: tokens are taken from the bucket
 * before they are spent, so replicas together never admit more than the bucket allows; what a lease
 * costs is the other way round, a few tokens one replica holds (fewer than `maxLease`, for at most a
 * TTL) that another cannot use. A client sending now and then always leases one token, so for it the
 * limit is exact. Concurrent requests that find the lease empty each ask the bucket at once (never
 * queue behind one another), and between them ask for no more than one lease.
 */
export function createTokenLeases(options: TokenLeasesOptions) {
  const ttlMs = options.leaseTtlMs ?? 1000;
  const leases = new Map<string, Lease>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, lease] of leases) {
      if (lease.expiresAt <= now && lease.inFlight === 0) leases.delete(key);
    }
  }, ttlMs);
  sweep.unref();

  return {
    async take(key: string): Promise<TakenToken> {
      let lease = leases.get(key);
      if (lease === undefined) {
        lease = { tokens: 0, expiresAt: 0, size: 1, bucketLeft: 0, inFlight: 0 };
        leases.set(key, lease);
      }
      const now = Date.now();
      const steady = lease.expiresAt > now;
      if (steady && lease.tokens >= 1) {
        lease.tokens -= 1;
        return { allowed: true, remaining: lease.tokens + lease.bucketLeft, retryAfterMs: 0 };
      }
      if (lease.inFlight === 0) lease.size = steady ? Math.min(options.maxLease, lease.size * 2) : 1;
      const want = Math.max(1, lease.size - lease.inFlight);
      lease.inFlight += want;
      let grant: BucketGrant;
      try {
        grant = await options.takeFromBucket(key, want);
      } finally {
        lease.inFlight -= want;
      }
      if (grant.granted === 0) {
        lease.size = 1;
        lease.expiresAt = 0;
        return { allowed: false, remaining: 0, retryAfterMs: grant.retryAfterMs };
      }
      // Tokens of a lapsed lease are dropped here, once per grant; a grant that a concurrent request
      // got in the meantime renewed the lease, and its tokens are kept.
      const leasedAt = Date.now();
      if (lease.expiresAt <= leasedAt) lease.tokens = 0;
      lease.tokens += grant.granted - 1;
      lease.bucketLeft = grant.left;
      lease.expiresAt = leasedAt + ttlMs;
      return { allowed: true, remaining: lease.tokens + lease.bucketLeft, retryAfterMs: 0 };
    },
    close(): void {
      clearInterval(sweep);
    },
  };
}
